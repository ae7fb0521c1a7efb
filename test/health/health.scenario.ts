import { expect, it } from 'vitest';
import type { Scenario } from '../support/scenarios';

// GET /healthz on every runtime: no login, healthy with a real database and store.
const health: Scenario = (target) => {
  it('answers 200 {status: ok} without authentication, never cached', async () => {
    const res = await target().fetch('/healthz');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers HEAD the same way, without a body', async () => {
    const res = await target().fetch('/healthz', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
  });

  it('refuses other methods with 405 and Allow', async () => {
    const res = await target().fetch('/healthz', { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toContain('GET');
  });
};

export default health;
