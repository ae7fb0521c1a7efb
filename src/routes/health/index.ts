import { createRouter } from '../../http/router';
import { confirmHealthy } from '../../services/health';
import { healthRoute } from './health.routes';

export { HEALTH_PATH } from './health.routes';

export function healthRouter() {
  return createRouter().openapi(healthRoute, async (c) => {
    // Every probe reaches the server, the 503 included (the header stays on the error's response).
    c.header('Cache-Control', 'no-store');
    await confirmHealthy(c.get('deps'));
    return c.json({ status: 'ok' as const }, 200);
  });
}
