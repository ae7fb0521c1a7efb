import type { AppRouteHandler } from '../../http/router';
import { confirmHealthy } from '../../services/health';
import { healthy } from './health.present';
import type * as r from './health.routes';

export const getHealth: AppRouteHandler<typeof r.healthRoute> = async (c) => {
  // Every probe reaches the server, the 503 included (the header stays on the error's response).
  c.header('Cache-Control', 'no-store');
  await confirmHealthy(c.get('deps'));
  return c.json(healthy(), 200);
};
