import { createRouter } from '../../http/router';
import * as h from './admin.handlers';
import * as r from './admin.routes';

/** `/api/v1/admin`: operators only. */
export function v1AdminRouter() {
  return createRouter()
    .openapi(r.setUserQuota, h.setUserQuota)
    .openapi(r.listUsage, h.listUsage)
    .openapi(r.getUserUsage, h.getUserUsage);
}
