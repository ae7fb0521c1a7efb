import { describe, expect, it } from 'vitest';
import type { ImageStore } from '../../src/storage/image-store';
import { bearer, newUser, problem } from '../support/client';
import { png } from '../support/images';
import { SecretWitness, secretsFlow } from '../support/log-secrets';
import { securityHeaderProblems } from '../support/security-headers';
import { uploadRaw } from '../support/upload';
import { appHarness, randomSecret } from '../support/workers/app-harness';

// What a failure gives away, in the answer and in the log; needs a configuration of its own (a
// broken store, a known AUTH_SECRET): the app over the real bindings, built per test.

/** A store whose `put` fails while `broken` is set. */
function breakable(store: ImageStore) {
  const state = { broken: false };
  const wrapped: ImageStore = {
    ...store,
    put: (...a) => (state.broken ? Promise.reject(new Error('injected put failure')) : store.put(...a)),
  };
  return { state, store: wrapped };
}

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
