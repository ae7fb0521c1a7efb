import { describe, expect, it } from 'vitest';
import type { GivenDeps } from '../../src/app';
import type { Db } from '../../src/db/client';
import { auth, harness, jsonBody } from '../support/workers/account-harness';

describe('unexpected exceptions', () => {
  /** The real database, except that every select throws with a message that must not leak. */
  const explodingSelect = (deps: GivenDeps): Partial<GivenDeps> => ({
    db: new Proxy(deps.db, {
      get(target, prop, receiver) {
        if (prop === 'select') {
          return () => {
            throw new Error('SQLITE_BUSY: secret internal detail /var/db/users.sqlite');
          };
        }
        return Reflect.get(target, prop, receiver);
      },
    }) as Db,
  });

  it('answers a generic 500 problem with the request id, and logs the error with its stack', async () => {
    const h = harness({}, explodingSelect);
    const res = await h.request('/api/v1/user/login', jsonBody({ email: 'ada@example.com', password: 'whatever-pw' }));
    expect(res.status).toBe(500);
    const requestId = res.headers.get('x-request-id');
    expect(requestId).toBeTruthy();
    const text = await res.text();
    const body = JSON.parse(text) as Record<string, unknown>;
    expect(body).toMatchObject({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      request_id: requestId,
    });
    expect(body.detail).toContain(requestId);
    expect(text).not.toMatch(/SQLITE|secret internal|sqlite|Error:|\bat\s.+:\d+/);

    const logged = h.logs.filter((l) => l.level === 'error');
    expect(logged).toHaveLength(1);
    expect(logged[0]?.fields).toMatchObject({
      request_id: requestId,
      method: 'POST',
      path: '/api/v1/user/login',
      error: expect.stringContaining('secret internal detail'),
      stack: expect.any(String),
    });
  });

  it('does the same for an authenticated read', async () => {
    const good = harness({ AUTH_SECRET: 'k'.repeat(40) });
    const u = await good.user('explode');
    const h = harness({ AUTH_SECRET: 'k'.repeat(40) }, explodingSelect);
    const res = await h.request('/api/user', auth(u.token));
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('secret internal');
    expect(JSON.parse(text)).toMatchObject({ status: 500, request_id: expect.any(String) });
    expect(h.logs.some((l) => l.level === 'error' && JSON.stringify(l.fields).includes('secret internal'))).toBe(true);
  });
});
