import type { AppRouteHandler } from '../../http/router';
import * as usage from '../../services/usage';
import { presentReport } from './usage.present';
import type * as r from './usage.routes';

export const getUsage: AppRouteHandler<typeof r.getUsage> = async (c) => {
  const report = await usage.ownUsage(c.get('deps'), c.get('session'), c.req.valid('query'));
  return c.json(presentReport(report), 200);
};
