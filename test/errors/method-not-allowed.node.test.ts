import { describe, expect, it } from 'vitest';
import { stubDeps } from '../../scripts/openapi';
import { createApp } from '../../src/app';

// 405s come from hono/method-not-allowed, answered as our problem: these pin the exact `Allow`
// (the routes' methods in registration order, then HEAD for a GET, then OPTIONS) and the body,
// as the hand-written handler it replaced answered them. No 404 or 405 touches a dependency.
const app = createApp(stubDeps());

describe('a known path asked with another method', () => {
  it.each([
    ['DELETE', '/api/v1/images', 'POST, GET, HEAD, OPTIONS'],
    ['POST', '/healthz', 'GET, HEAD, OPTIONS'],
    // Two routes match: the legacy `/api/{img_id}/tags` and v1's `/api/v1/tags`.
    ['PATCH', '/api/v1/tags', 'GET, PUT, DELETE, HEAD, OPTIONS'],
    ['PATCH', '/api/7/tags', 'GET, PUT, DELETE, HEAD, OPTIONS'],
    ['GET', '/api/v1/user/logout', 'POST, OPTIONS'],
  ])('%s %s → 405, Allow: %s, as a problem', async (method, path, allow) => {
    const res = await app.request(path, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe(allow);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({
      type: 'about:blank',
      title: 'Method Not Allowed',
      status: 405,
      detail: `${method} is not allowed here. Allowed: ${allow}.`,
      instance: path,
    });
  });

  it('answers OPTIONS outside /api (no CORS there) with the 404 it always was, not a 405', async () => {
    const res = await app.request('/healthz', { method: 'OPTIONS' });
    expect(res.status).toBe(404);
    expect(res.headers.get('allow')).toBeNull();
    expect(await res.json()).toMatchObject({ status: 404, detail: 'No resource at /healthz.' });
  });

  it('leaves an unknown path a 404 whatever the method', async () => {
    const res = await app.request('/nothing/here', { method: 'DELETE' });
    expect(res.status).toBe(404);
    expect(res.headers.get('allow')).toBeNull();
  });
});
