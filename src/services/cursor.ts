/** Opaque keyset cursors for newest-first pages: the (created_at, id) of the last item shown. */

export interface CursorPosition {
  createdAt: number;
  id: number;
}

const toBase64Url = (s: string) => btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const fromBase64Url = (s: string) => atob(s.replace(/-/g, '+').replace(/_/g, '/'));

export function encodePageCursor(p: CursorPosition): string {
  return toBase64Url(JSON.stringify([p.createdAt, p.id]));
}

/** Undefined for anything this server did not hand out. */
export function decodePageCursor(cursor: string): CursorPosition | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return undefined;
  try {
    const value: unknown = JSON.parse(fromBase64Url(cursor));
    if (!Array.isArray(value) || value.length !== 2) return undefined;
    const [createdAt, id] = value;
    if (!Number.isSafeInteger(createdAt) || !Number.isSafeInteger(id) || id < 1 || createdAt < 0) return undefined;
    return { createdAt, id };
  } catch {
    return undefined;
  }
}
