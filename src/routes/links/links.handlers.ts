import type { Context } from 'hono';
import { signingSecret } from '../../auth/middleware';
import { linkToken, readLinkToken } from '../../auth/share-token';
import type { AppEnv } from '../../http/app-env';
import { createRouter } from '../../http/router';
import * as links from '../../services/share-links';
import { serveImage } from '../images/file-response';
import { isoTime, unixSeconds } from '../time-format';
import * as r from './links.routes';

/** Explicit mapping; the URL is rebuilt from the id (the token is never stored). */
async function present(c: Context<AppEnv>, link: links.ShareLink) {
  const token = await linkToken(signingSecret(c.get('deps')), link.id);
  return {
    id: link.id,
    url: new URL(`/api/v1/shared/${token}`, c.req.url).href,
    image_id: link.imageId,
    variant: link.variant,
    created_at: isoTime(link.createdAt),
    expires_at: isoTime(link.expiresAt),
    expires_at_unix: unixSeconds(link.expiresAt),
  };
}

/** `/api/v1/images/{id}/links…` (owner) and `/api/v1/shared/{token}` (anyone with the link). */
export function v1LinkRouter() {
  return createRouter()
    .openapi(r.createShareLink, async (c) => {
      const { expires_in, variant } = c.req.valid('json');
      const link = await links.createLink(c.get('deps'), c.get('session'), c.req.valid('param').id, {
        expiresIn: expires_in ?? links.DEFAULT_EXPIRES_IN,
        variant: variant ?? null,
      });
      return c.json(await present(c, link), 201);
    })
    .openapi(r.listShareLinks, async (c) => {
      const found = await links.listLinks(c.get('deps'), c.get('session'), c.req.valid('param').id);
      return c.json({ items: await Promise.all(found.map((l) => present(c, l))) }, 200);
    })
    .openapi(r.revokeShareLink, async (c) => {
      const { id, link } = c.req.valid('param');
      await links.revokeLink(c.get('deps'), c.get('session'), id, link);
      return c.body(null, 204);
    })
    .openapi(r.getSharedImage, async (c) => {
      const deps = c.get('deps');
      const id = await readLinkToken(signingSecret(deps), c.req.valid('param').token);
      const shared = id === undefined ? undefined : await links.openSharedLink(deps, id);
      if (!shared) throw links.noSuchLink();
      const left = Math.max(0, Math.floor((shared.expiresAt - deps.clock().getTime()) / 1000));
      // Anyone holding the link may embed it, from any site.
      c.header('Cross-Origin-Resource-Policy', 'cross-origin');
      return serveImage(c, shared.image, { variant: shared.variant, cacheControl: `private, max-age=${left}` });
    });
}
