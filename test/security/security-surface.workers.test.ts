import { describe, expect, it } from 'vitest';
import type { ImageStore } from '../../src/storage/image-store';
import { bearer, json, newUser, problem, withCookie } from '../support/client';
import { png } from '../support/images';
import { SecretWitness, secretsFlow } from '../support/log-secrets';
import { corsHeadersOf, securityHeaderProblems } from '../support/security-headers';
import { uploadRaw } from '../support/upload';
import { appHarness, randomSecret } from '../support/workers/app-harness';

// The parts of the security review that need a configuration of their own (an allowlist, a
// broken store, a known AUTH_SECRET): the app over the real bindings, built per test.

const ALLOWED = 'https://app.example.com';
const FOREIGN = 'https://evil.example';
const preflight = (origin: string, method = 'PUT') => ({
  method: 'OPTIONS',
  headers: {
    origin,
    'access-control-request-method': method,
    'access-control-request-headers': 'content-type, authorization',
  },
});

/** A store whose `put` fails while `broken` is set. */
function breakable(store: ImageStore) {
  const state = { broken: false };
  const wrapped: ImageStore = {
    ...store,
    put: (...a) => (state.broken ? Promise.reject(new Error('injected put failure')) : store.put(...a)),
  };
  return { state, store: wrapped };
}

describe('CORS allowlist (CORS_ORIGINS)', () => {
  const h = appHarness(() => ({}), { vars: { CORS_ORIGINS: `${ALLOWED}, https://other.example.com` } });

  it('answers an allowed origin’s preflight with credentials, methods and headers', async () => {
    const res = await h.target.fetch('/api/v1/images/1/tags', preflight(ALLOWED));
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-allow-methods')).toContain('PUT');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    expect(res.headers.get('access-control-max-age')).toBe('600');
    expect(res.headers.get('vary')).toMatch(/origin/i);
    expect(securityHeaderProblems(res)).toEqual([]);
  });

  it.each([
    FOREIGN,
    'http://app.example.com', // the allowed host on another scheme is another origin
    'https://app.example.com.evil.example',
    'null',
  ])('gives %s no CORS header at all on its preflight', async (origin) => {
    const res = await h.target.fetch('/api/v1/images/1/tags', preflight(origin));
    expect(res.status).toBe(204);
    expect(corsHeadersOf(res)).toEqual([]);
    expect(res.headers.get('vary')).toMatch(/origin/i);
  });

  it('lets an allowed origin read answers with credentials, errors included', async () => {
    const user = await newUser(h.target, 'cors-allowed');
    const ok = await h.target.fetch('/api/v1/user', { headers: withCookie(user, { origin: ALLOWED }) });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    expect(ok.headers.get('access-control-expose-headers')).toContain('X-Request-Id');
    for (const [path, status] of [
      ['/api/v1/images', 401],
      ['/api/v1/nothing', 404],
    ] as const) {
      const res = await h.target.fetch(path, { headers: { origin: ALLOWED } });
      expect(res.status, path).toBe(status);
      expect(res.headers.get('access-control-allow-origin'), path).toBe(ALLOWED);
      expect(res.headers.get('access-control-allow-credentials'), path).toBe('true');
      await problem(res);
    }
  });

  it('gives another origin, and a request without Origin, no CORS header on actual requests', async () => {
    const user = await newUser(h.target, 'cors-foreign');
    const foreign = await h.target.fetch('/api/v1/user', { headers: withCookie(user, { origin: FOREIGN }) });
    expect(foreign.status).toBe(200);
    expect(corsHeadersOf(foreign)).toEqual([]);
    const none = await h.target.fetch('/api/v1/user', { headers: withCookie(user) });
    expect(corsHeadersOf(none)).toEqual([]);
  });

  it('lets an allowed origin send cookie-authenticated JSON writes, and refuses the same from others', async () => {
    const user = await newUser(h.target, 'cors-write');
    const created = await uploadRaw(h.target, user, await png(2, 2));
    const { id } = (await created.json()) as { id: number };
    const put = (origin: string, tag: string) =>
      h.target.fetch(
        `/api/v1/images/${id}/tags`,
        json({ tags: [tag] }, { method: 'PUT', headers: withCookie(user, { origin, 'sec-fetch-site': 'cross-site' }) }),
      );
    const refused = await put(FOREIGN, 'evil');
    expect(refused.status).toBe(403);
    await problem(refused);
    const allowed = await put(ALLOWED, 'fine');
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(await allowed.json()).toEqual({ tags: ['fine'] });
  });
});

describe('a failing dependency (503)', () => {
  it('carries the security headers and a generic problem', async () => {
    let broken: ReturnType<typeof breakable> | undefined;
    const h = appHarness((d) => {
      broken = breakable(d.store);
      return { store: broken.store };
    });
    const user = await newUser(h.target, 'five-hundred');
    if (broken) broken.state.broken = true;
    const res = await uploadRaw(h.target, user, await png(2, 2));
    // The store failing is a dependency fault: 503 with Retry-After, the cause only in the log.
    expect(res.status).toBe(503);
    expect(securityHeaderProblems(res)).toEqual([]);
    expect((await problem(res)).detail).not.toMatch(/injected/);
    expect(h.logs.some((l) => l.level === 'warn' && String(l.fields?.error).includes('injected put'))).toBe(true);
  });
});

describe('no password, token, cookie or secret in the logs (Workers)', () => {
  const lines = (logs: { level: string; message: string; fields: unknown }[]) =>
    logs.map((l) => JSON.stringify({ level: l.level, message: l.message, ...(l.fields as object) }));

  it('over a session with failures and an unexpected 500', async () => {
    const secret = randomSecret();
    let broken: ReturnType<typeof breakable> | undefined;
    const h = appHarness(
      (d) => {
        broken = breakable(d.store);
        return { store: broken.store };
      },
      { vars: { AUTH_SECRET: secret } },
    );
    const witness = new SecretWitness();
    witness.add(secret);
    await secretsFlow(witness.watch(h.target), (on) => {
      if (broken) broken.state.broken = on;
    });
    // The password, the token and its signature, the secret.
    witness.expectNoLeak(lines(h.logs), { secrets: 4, lines: 1 });
    expect(lines(h.logs).some((l) => l.includes('injected put failure'))).toBe(true);
  });

  it('when the AUTH_SECRET is too short to use, the log says so without quoting it', async () => {
    const short = `short-${randomSecret(4)}`;
    const h = appHarness(() => ({}), { vars: { AUTH_SECRET: short } });
    const res = await h.target.fetch('/api/v1/images', { headers: bearer({ token: 'x'.repeat(40) }) });
    expect(res.status).toBe(500);
    await problem(res);
    const witness = new SecretWitness();
    witness.add(short);
    witness.expectNoLeak(lines(h.logs), { secrets: 1, lines: 1 });
    expect(lines(h.logs).join('\n')).toContain('AUTH_SECRET');
  });
});
