import { describe, expect, it } from 'vitest';
import { LOGIN_LIMITS } from '../../../src/services/login-throttle';
import { json, newUser, uniqueEmail } from '../../support/client';
import {
  dataDir,
  httpTarget,
  httpTargetFrom,
  randomLoopbackAddress,
  serverEnv,
  spawnEntry,
  startInProcess,
} from '../../support/node/servers';
import type { Target } from '../../support/target';

const LIMIT = LOGIN_LIMITS.pair.maxFailures;
const WRONG = 'not the password';

const login = (t: Target, email: string, password: string, headers: Record<string, string> = {}) =>
  t.fetch('/api/v1/user/login', json({ email, password }, { headers }));

// The counters are rows in the database, so a restart (here even onto the other runtime) finds
// them where they were: an account throttled at an address stays throttled there.
it('keeps an account throttled at an address across a restart, from Node to Bun, and only there', async () => {
  const data = await dataDir();
  const attacker = randomLoopbackAddress();
  try {
    const first = await startInProcess(data.env);
    let victim: Awaited<ReturnType<typeof newUser>>;
    let bystander: Awaited<ReturnType<typeof newUser>>;
    try {
      const node = httpTarget('node', first.origin);
      victim = await newUser(node, 'restart-victim');
      bystander = await newUser(node, 'restart-bystander');
      const from = httpTargetFrom('node', first.origin, attacker);
      for (let i = 0; i < LIMIT; i++) expect((await login(from, victim.email, WRONG)).status).toBe(401);
      expect((await login(from, victim.email, victim.password)).status).toBe(429);
    } finally {
      await first.shutdown('restart test');
    }

    const second = await spawnEntry('bun', data.env, data.dir);
    try {
      const bun = httpTarget('bun', second.origin);
      const elsewhere = bun.fromNewAddress?.();
      if (!elsewhere) throw new Error('no fresh address');
      const from = httpTargetFrom('bun', second.origin, attacker);
      const pair = await login(from, victim.email, victim.password);
      expect(pair.status).toBe(429);
      expect(Number(pair.headers.get('retry-after'))).toBeLessThanOrEqual(LOGIN_LIMITS.pair.windowMs / 1000);
      expect((await login(elsewhere, victim.email, victim.password)).status).toBe(200);
      expect((await login(from, bystander.email, bystander.password)).status).toBe(200);
    } finally {
      expect(await second.stop()).toEqual({ code: 0, signal: null });
    }
  } finally {
    await data.remove();
  }
});

describe('the client address on Node', () => {
  /** LIMIT failures for `email` from one socket address, each claiming another address in X-Forwarded-For. */
  async function sprayWithForwardedFor(target: Target, email: string) {
    for (let i = 0; i < LIMIT; i++) {
      const res = await login(target, email, WRONG, { 'x-forwarded-for': `198.51.100.${i + 1}` });
      expect(res.status).toBe(401);
    }
  }

  it('is the socket address: X-Forwarded-For sent by a client changes nothing', async () => {
    const data = await dataDir();
    const server = await startInProcess(data.env);
    try {
      const client = httpTargetFrom('node', server.origin, randomLoopbackAddress());
      const email = uniqueEmail('spray');
      await sprayWithForwardedFor(client, email);
      const res = await login(client, email, WRONG, { 'x-forwarded-for': '198.51.100.200' });
      expect(res.status).toBe(429);
    } finally {
      await server.shutdown('test done');
      await data.remove();
    }
  });

  it('with TRUST_PROXY=true is the last X-Forwarded-For entry (the one the proxy added)', async () => {
    const data = await dataDir();
    const server = await startInProcess(serverEnv(data.dir, { TRUST_PROXY: 'true' }));
    try {
      // Everyone arrives from the proxy's address.
      const proxy = httpTargetFrom('node', server.origin, randomLoopbackAddress());
      const email = uniqueEmail('spray');
      await sprayWithForwardedFor(proxy, email);
      // Each of those ten clients made one failure: none is throttled, nor is the proxy.
      expect((await login(proxy, email, WRONG, { 'x-forwarded-for': '198.51.100.1' })).status).toBe(401);
      const claimed = { 'x-forwarded-for': '203.0.113.66, 198.51.100.250' };
      for (let i = 0; i < LIMIT; i++) expect((await login(proxy, email, WRONG, claimed)).status).toBe(401);
      // 198.51.100.250 is at its limit whatever a client put before it; 203.0.113.66 never counted.
      const throttled = await login(proxy, email, WRONG, { 'x-forwarded-for': '198.51.100.250' });
      expect(throttled.status).toBe(429);
      expect((await login(proxy, email, WRONG, { 'x-forwarded-for': '203.0.113.66' })).status).toBe(401);
    } finally {
      await server.shutdown('test done');
      await data.remove();
    }
  });
});
