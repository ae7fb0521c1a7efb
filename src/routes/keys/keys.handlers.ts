import type { ApiKeyRow } from '../../db/schema';
import { createRouter } from '../../http/router';
import * as keys from '../../services/api-keys';
import { isoTime } from '../time-format';
import * as r from './keys.routes';

// Explicit mapping: the hash never leaves.
const present = (k: ApiKeyRow) => ({
  id: k.id,
  prefix: k.prefix,
  name: k.name,
  scope: k.scope,
  created_at: isoTime(k.createdAt),
  last_used_at: k.lastUsedAt === null ? null : isoTime(k.lastUsedAt),
  expires_at: k.expiresAt === null ? null : isoTime(k.expiresAt),
});

/** `/api/v1/user/keys`. */
export function v1KeyRouter() {
  return createRouter()
    .openapi(r.createKey, async (c) => {
      const body = c.req.valid('json');
      const { row, key } = await keys.createKey(c.get('deps'), c.get('session'), {
        name: body.name,
        scope: body.scope,
        expiresIn: body.expires_in,
        expiresAt: body.expires_at,
      });
      // The secret must not be kept by any cache.
      c.header('Cache-Control', 'no-store');
      return c.json({ ...present(row), key }, 201);
    })
    .openapi(r.listKeys, async (c) => {
      const rows = await keys.listKeys(c.get('deps'), c.get('session'));
      return c.json({ items: rows.map(present) }, 200);
    })
    .openapi(r.revokeKey, async (c) => {
      await keys.revokeKey(c.get('deps'), c.get('session'), c.req.valid('param').id);
      return c.body(null, 204);
    });
}
