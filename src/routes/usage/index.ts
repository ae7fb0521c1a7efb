import { createRouter } from '../../http/router';
import * as h from './usage.handlers';
import * as r from './usage.routes';

/** `/api/v1/user/usage`. */
export function v1UsageRouter() {
  return createRouter().openapi(r.getUsage, h.getUsage);
}
