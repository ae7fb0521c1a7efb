import { readLinkToken } from '../../auth/share-token';
import { signingSecret } from '../../http/auth-middleware';
import type { AppRouteHandler } from '../../http/router';
import * as links from '../../services/share-links';
import { serveImage } from '../images/file-response';
import { presentLink } from './links.present';
import type * as r from './links.routes';

export const createShareLink: AppRouteHandler<typeof r.createShareLink> = async (c) => {
  const { expires_in, variant } = c.req.valid('json');
  const link = await links.createLink(c.get('deps'), c.get('session'), c.req.valid('param').id, {
    expiresIn: expires_in ?? links.DEFAULT_EXPIRES_IN,
    variant: variant ?? null,
  });
  return c.json(await presentLink(c, link), 201);
};

export const listShareLinks: AppRouteHandler<typeof r.listShareLinks> = async (c) => {
  const found = await links.listLinks(c.get('deps'), c.get('session'), c.req.valid('param').id);
  return c.json({ items: await Promise.all(found.map((l) => presentLink(c, l))) }, 200);
};

export const revokeShareLink: AppRouteHandler<typeof r.revokeShareLink> = async (c) => {
  const { id, link } = c.req.valid('param');
  await links.revokeLink(c.get('deps'), c.get('session'), id, link);
  return c.body(null, 204);
};

export const getSharedImage: AppRouteHandler<typeof r.getSharedImage> = async (c) => {
  const deps = c.get('deps');
  const id = await readLinkToken(signingSecret(deps), c.req.valid('param').token);
  const shared = id === undefined ? undefined : await links.openSharedLink(deps, id);
  if (!shared) throw links.noSuchLink();
  const left = Math.max(0, Math.floor((shared.expiresAt - deps.clock().getTime()) / 1000));
  // Anyone holding the link may embed it, from any site.
  c.header('Cross-Origin-Resource-Policy', 'cross-origin');
  return serveImage(c, shared.image, { variant: shared.variant, cacheControl: `private, max-age=${left}` });
};
