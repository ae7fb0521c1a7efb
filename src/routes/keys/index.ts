import { createRouter } from '../../http/router';
import * as h from './keys.handlers';
import * as r from './keys.routes';

/** `/api/v1/user/keys`. */
export function v1KeyRouter() {
  return createRouter()
    .openapi(r.createKey, h.createKey)
    .openapi(r.listKeys, h.listKeys)
    .openapi(r.revokeKey, h.revokeKey);
}
