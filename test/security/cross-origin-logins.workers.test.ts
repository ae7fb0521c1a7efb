import { describe, expect, it } from 'vitest';
import { harness } from '../support/workers/account-harness';

describe('cross-origin', () => {
  const ALLOWED = 'https://app.example.com';

  it('gives an allowed origin Access-Control-Allow-Origin with credentials, and no one else', async () => {
    const h = harness({ CORS_ORIGINS: `${ALLOWED}/, https://other.example.com` });
    const preflight = await h.request('/api/v1/user/login', {
      method: 'OPTIONS',
      headers: {
        origin: ALLOWED,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');

    const u = await h.user('cors');
    const get = await h.request('/api/v1/user', { headers: { origin: ALLOWED, cookie: u.cookie } });
    expect(get.status).toBe(200);
    expect(get.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(get.headers.get('access-control-allow-credentials')).toBe('true');
    expect(get.headers.get('vary')).toMatch(/origin/i);

    const foreign = await h.request('/api/v1/user', { headers: { origin: 'https://evil.example', cookie: u.cookie } });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('matches an allowed origin configured with upper case and a default port', async () => {
    const h = harness({ CORS_ORIGINS: 'HTTPS://App.Example.com:443' });
    const res = await h.request('/api/v1/user', { headers: { origin: ALLOWED } });
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
  });

  it('lets an allowed origin send cookie-authenticated form posts, and refuses others', async () => {
    const h = harness({ CORS_ORIGINS: ALLOWED });
    const u = await h.user('cors-form');
    const form = (origin: string) => ({
      method: 'POST',
      headers: {
        origin,
        'sec-fetch-site': 'cross-site',
        cookie: u.cookie,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: '',
    });
    expect((await h.request('/api/v1/user/logout', form('https://evil.example'))).status).toBe(403);
    expect((await h.request('/api/v1/user/logout', form(ALLOWED))).status).toBe(204);
  });

  it('lets a same-origin Origin through', async () => {
    const h = harness();
    const u = await h.user('same-origin');
    const res = await h.request('https://api.example.com/api/v1/user/logout', {
      method: 'POST',
      headers: {
        origin: 'https://api.example.com',
        cookie: u.cookie,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: '',
    });
    expect(res.status).toBe(204);
    // The same origin on another scheme is another origin.
    const v = await h.user('same-origin-2');
    const other = await h.request('https://api.example.com/api/v1/user/logout', {
      method: 'POST',
      headers: { origin: 'http://api.example.com', cookie: v.cookie },
    });
    expect(other.status).toBe(403);
  });
});
