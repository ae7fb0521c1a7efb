import { createRouter } from '../../http/router';
import * as usage from '../../services/usage';
import * as r from './usage.routes';
import { presentReport } from './usage.schemas';

/** `/api/v1/user/usage`. */
export function v1UsageRouter() {
  return createRouter().openapi(r.getUsage, async (c) => {
    const report = await usage.ownUsage(c.get('deps'), c.get('session'), c.req.valid('query'));
    return c.json(presentReport(report), 200);
  });
}
