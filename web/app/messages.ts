// What the app tells a person about a refused request: plain functions, tested without a browser
// (test/node/web-app.messages.test.ts).

export interface Problem {
  title?: string;
  status?: number;
  detail?: string;
  errors?: { name?: string; message?: string }[];
  quota?: { limit: 'bytes' | 'images'; max: number; used: number; requested: number };
}

export const formatBytes = (n: number): string => {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  // One decimal below 10 only where it survives rounding: never "10.0".
  return `${i === 0 ? v : v.toFixed(v < 9.95 ? 1 : 0)} ${units[i]}`;
};

/** What to tell a person about a refused request, from the problem the API returned. */
export function problemMessage(status: number, problem: Problem | undefined, retryAfter: string | null): string {
  if (status === 0) return 'The server cannot be reached. Check your connection and try again.';
  if (problem?.quota) {
    const { limit, max, used } = problem.quota;
    return limit === 'images'
      ? `Your quota is full: you store ${used} of ${max} images. Delete some to upload more.`
      : `Your quota is full: ${formatBytes(used)} of ${formatBytes(max)} used. Delete some images to upload more.`;
  }
  if (status === 429 || status === 503) {
    const wait = Number(retryAfter);
    const when = Number.isFinite(wait) && wait > 0 ? ` Try again in ${wait} second${wait === 1 ? '' : 's'}.` : '';
    return `${status === 429 ? 'Too many attempts.' : 'The server is busy.'}${when}`;
  }
  if (status === 415) return 'Not an image this service accepts: use PNG, JPEG, GIF, WebP, AVIF, BMP or TIFF.';
  if (status === 413) return `Too large. ${problem?.detail ?? ''}`.trim();
  const fields = problem?.errors?.map((e) => e.message).filter(Boolean) ?? [];
  const detail = problem?.detail ?? problem?.title ?? `The request failed (${status}).`;
  return fields.length ? `${detail} ${fields.join(' ')}` : detail;
}
