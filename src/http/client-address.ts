/**
 * Where a request comes from, for per-address login throttling. Each runtime says it its own
 * way; a header a client could set itself is believed only where something in front of the app
 * is known to set it.
 */

/** Workers: Cloudflare's edge sets CF-Connecting-IP on every request and replaces a client's own. */
export const cfConnectingIp = (request: Request): string | undefined =>
  request.headers.get('cf-connecting-ip')?.trim() || undefined;

/** What the Node and Bun entries pass to `app.fetch` beside the request. */
export interface LocalBindings {
  /** The peer address of the connection the request came on. */
  clientAddress: string | undefined;
}

/**
 * Node and Bun: the connection's peer address; with `trustProxy` (TRUST_PROXY=true, for a
 * server only reachable through a reverse proxy) the last X-Forwarded-For entry, the one that
 * proxy appended, falling back to the peer address when there is none.
 */
export function localClientAddress(trustProxy: boolean) {
  return (request: Request, bindings: unknown): string | undefined => {
    const peer = (bindings as Partial<LocalBindings> | undefined)?.clientAddress || undefined;
    if (!trustProxy) return peer;
    return lastForwardedFor(request.headers.get('x-forwarded-for')) ?? peer;
  };
}

/** The last address in an X-Forwarded-For value, without brackets or port. */
export function lastForwardedFor(header: string | null): string | undefined {
  const last = header?.split(',').at(-1)?.trim();
  if (!last) return undefined;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(last);
  if (bracketed?.[1]) return bracketed[1];
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(last);
  return v4WithPort?.[1] ?? last;
}
