import { createRouter } from '../../http/router';
import * as h from './health.handlers';
import * as r from './health.routes';

export { HEALTH_PATH } from './health.routes';

/** `GET /healthz`. */
export function healthRouter() {
  return createRouter().openapi(r.healthRoute, h.getHealth);
}
