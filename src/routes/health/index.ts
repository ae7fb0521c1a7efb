import { ProblemError } from '../../http/problem';
import { createRouter } from '../../http/router';
import { checkHealth } from '../../services/health';
import { healthRoute } from './health.routes';

export { HEALTH_PATH } from './health.routes';

export function healthRouter() {
  return createRouter().openapi(healthRoute, async (c) => {
    const failed = await checkHealth(c.get('deps'));
    const headers = { 'Cache-Control': 'no-store' };
    if (failed.length) {
      const names = failed.map((d) => (d === 'database' ? 'the database' : 'the image store')).join(' and ');
      throw new ProblemError(503, `Unavailable: ${names} did not answer.`, { headers });
    }
    return c.json({ status: 'ok' as const }, 200, headers);
  });
}
