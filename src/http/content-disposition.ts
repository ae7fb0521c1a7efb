/** An ASCII fallback and the exact name as RFC 6266/8187 `filename*`. */
function dispositionParams(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/** `inline` with the file name: shown in the browser, saved under that name. */
export const inlineDisposition = (name: string): string => `inline; ${dispositionParams(name)}`;

/** `attachment` with the file name: a browser saves it and never renders it. */
export const attachmentDisposition = (name: string): string => `attachment; ${dispositionParams(name)}`;
