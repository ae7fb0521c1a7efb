import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './app-env';

/**
 * What each file part of a multipart body declared as its `Content-Type`, read from the part
 * headers themselves as the body streams past the form parser.
 *
 * Why not `File.type`: Bun's multipart parser ignores a part's `Content-Type` and guesses the type
 * from the file name (a part declared `text/plain`, or declaring nothing, named `x.png` comes out
 * as `image/png`), while workerd and Node report what was sent. The legacy upload decides on the
 * declared type, so it must not depend on the runtime. Nothing is buffered here: the bytes pass
 * through unchanged and only part headers are looked at.
 */
export type DeclaredPartTypes = ReadonlyMap<string, string | undefined>;

const MAX_HEADER_BYTES = 16 * 1024;
const CRLF_CRLF = Uint8Array.of(13, 10, 13, 10);

function indexOf(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  const first = needle[0] as number;
  const last = haystack.length - needle.length;
  for (let i = haystack.indexOf(first, from); i >= 0 && i <= last; i = haystack.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (!a.length) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** A `name="…"` style parameter of a Content-Disposition value (quoted or a bare token). */
function dispositionParam(value: string, param: string): string | undefined {
  const m = new RegExp(`;\\s*${param}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, 'i').exec(value);
  if (!m) return undefined;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2];
}

/** Records the first file part of each field name: its declared type, or undefined when none. */
function readHeaders(block: string, types: Map<string, string | undefined>): void {
  let disposition: string | undefined;
  let contentType: string | undefined;
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const field = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (field === 'content-disposition') disposition = value;
    else if (field === 'content-type') contentType = value;
  }
  if (!disposition || !/^form-data\b/i.test(disposition)) return;
  const name = dispositionParam(disposition, 'name');
  if (name === undefined || dispositionParam(disposition, 'filename') === undefined) return;
  if (!types.has(name)) types.set(name, contentType);
}

/**
 * A pass-through stream that fills `types` from the part headers of a multipart body with this
 * boundary. Each part starts after `--boundary` (preceded by CRLF except at the very start), and
 * its headers end at the first blank line.
 */
export function partTypeScanner(boundary: string, types: Map<string, string | undefined>) {
  const encoder = new TextEncoder();
  const delimiter = encoder.encode(`\r\n--${boundary}`);
  // Primed with CRLF so a body that starts with the first boundary matches like any other.
  let carry: Uint8Array = Uint8Array.of(13, 10);
  let inHeaders = false;
  let done = false;

  const scan = (chunk: Uint8Array) => {
    let data = concat(carry, chunk);
    carry = new Uint8Array();
    while (!done) {
      if (!inHeaders) {
        const at = indexOf(data, delimiter);
        if (at < 0) {
          // Keep just enough to match a delimiter split across chunks.
          carry = data.slice(Math.max(0, data.length - (delimiter.length - 1)));
          return;
        }
        data = data.subarray(at + delimiter.length);
        inHeaders = true;
      }
      if (data.length < 2) {
        carry = data.slice();
        return;
      }
      if (data[0] === 0x2d && data[1] === 0x2d) {
        done = true; // `--boundary--`: the closing delimiter
        return;
      }
      const end = indexOf(data, CRLF_CRLF);
      if (end < 0) {
        if (data.length > MAX_HEADER_BYTES) {
          inHeaders = false; // not headers any parser accepts; look for the next part
          carry = new Uint8Array();
          return;
        }
        carry = data.slice();
        return;
      }
      readHeaders(new TextDecoder().decode(data.subarray(0, end)), types);
      data = data.subarray(end + CRLF_CRLF.length);
      inHeaders = false;
    }
  };

  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      if (!done) scan(chunk);
      controller.enqueue(chunk);
    },
  });
}

/** The boundary parameter of a multipart/form-data Content-Type, or undefined. */
export function multipartBoundary(contentType: string | null): string | undefined {
  if (!contentType || !/^multipart\/form-data\b/i.test(contentType)) return undefined;
  const m = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m?.[1] ?? m?.[2];
}

/**
 * Middleware for a multipart route: sets `partTypes`, filled while the form is parsed, so the
 * handler can read what a file part declared (`c.get('partTypes').get('image')`).
 */
export const recordPartTypes: MiddlewareHandler<AppEnv> = async (c, next) => {
  const types = new Map<string, string | undefined>();
  c.set('partTypes', types);
  const raw = c.req.raw;
  const boundary = multipartBoundary(raw.headers.get('content-type'));
  if (boundary && raw.body) {
    const body = raw.body.pipeThrough(partTypeScanner(boundary, types));
    // `duplex` is required by Node's fetch for a stream body and unknown to the Workers types.
    c.req.raw = new Request(raw, { body, duplex: 'half' } as RequestInit);
  }
  await next();
};
