import { expect } from 'vitest';
import type { GivenDeps } from '../../../src/app';
import { appHarness } from './app-harness';

export const START = Date.parse('2026-03-01T12:00:00Z');

/** The shared app harness at a fixed start time, with `advance` in seconds and a way to sign up. */
export function harness(
  vars: Record<string, string | undefined> = {},
  override: (deps: GivenDeps) => Partial<GivenDeps> = () => ({}),
) {
  const h = appHarness(override, { vars, start: START });
  const request = h.target.fetch;
  return {
    app: h.app,
    deps: h.base,
    logs: h.logs,
    request,
    advance: (seconds: number) => h.advance(seconds * 1000),
    /** Registers and logs in through HTTP; returns the bearer token, cookie pair and user id. */
    async user(label = 'internals') {
      const email = `${label}-${crypto.randomUUID()}@example.com`;
      const password = `pw-${crypto.randomUUID()}`;
      const reg = await request('/api/v1/user/register', jsonBody({ email, password }));
      expect(reg.status).toBe(201);
      const { id } = (await reg.json()) as { id: number };
      const login = await request('/api/v1/user/login', jsonBody({ email, password }));
      expect(login.status).toBe(200);
      const { token } = (await login.json()) as { token: string };
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      return { id, email, password, token, cookie, setCookie: login.headers.get('set-cookie') ?? '' };
    },
  };
}

export const jsonBody = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

export const auth = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

export async function problemOf(res: Response) {
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return (await res.json()) as { status: number; title: string; detail?: string; request_id?: string };
}
