import type { AppRouteHandler } from '../../http/router';
import * as keys from '../../services/api-keys';
import { presentKey } from './keys.present';
import type * as r from './keys.routes';

export const createKey: AppRouteHandler<typeof r.createKey> = async (c) => {
  const body = c.req.valid('json');
  const { row, key } = await keys.createKey(c.get('deps'), c.get('session'), {
    name: body.name,
    scope: body.scope,
    expiresIn: body.expires_in,
    expiresAt: body.expires_at,
  });
  // The secret must not be kept by any cache.
  c.header('Cache-Control', 'no-store');
  return c.json({ ...presentKey(row), key }, 201);
};

export const listKeys: AppRouteHandler<typeof r.listKeys> = async (c) => {
  const rows = await keys.listKeys(c.get('deps'), c.get('session'));
  return c.json({ items: rows.map(presentKey) }, 200);
};

export const revokeKey: AppRouteHandler<typeof r.revokeKey> = async (c) => {
  await keys.revokeKey(c.get('deps'), c.get('session'), c.req.valid('param').id);
  return c.body(null, 204);
};
