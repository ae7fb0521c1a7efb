import { expect } from 'vitest';
import { bearer, form, json, problem, type TestUser, uniqueEmail, withCookie } from './client';
import { png } from './images';
import { type Target, wrapTarget } from './target';
import { uploadRaw } from './upload';

/** Shorter strings would turn up by chance in a log line; every real secret here is longer. */
const MIN_SECRET_LENGTH = 12;

/**
 * The secrets a run hands around: passwords it sends, tokens and cookie values it receives or
 * sends back, and whatever the test adds (the AUTH_SECRET). A JWT's signature counts on its own,
 * so a log line holding only part of a token is still caught.
 */
export class SecretWitness {
  readonly secrets = new Set<string>();

  add(secret: string | null | undefined): void {
    if (!secret || secret.length < MIN_SECRET_LENGTH) return;
    this.secrets.add(secret);
    const parts = secret.split('.');
    if (parts.length === 3 && (parts[2]?.length ?? 0) >= MIN_SECRET_LENGTH) this.secrets.add(parts[2] ?? '');
  }

  /** Each secret found in a line, with the line (cut) for the failure message. */
  leaks(lines: readonly string[]): string[] {
    const found: string[] = [];
    for (const line of lines) {
      for (const secret of this.secrets) {
        if (line.includes(secret)) found.push(`${secret.slice(0, 6)}… in: ${line.slice(0, 300)}`);
      }
    }
    return found;
  }

  /** Fails unless the lines are many enough to mean something and hold none of the secrets. */
  expectNoLeak(lines: readonly string[], atLeast: { secrets: number; lines: number }): void {
    expect(this.secrets.size, 'secrets seen by the run').toBeGreaterThanOrEqual(atLeast.secrets);
    expect(lines.length, 'log lines captured').toBeGreaterThanOrEqual(atLeast.lines);
    expect(this.leaks(lines), 'log lines holding a password, token, cookie or secret').toEqual([]);
  }

  private request(init: RequestInit | undefined): void {
    const headers = new Headers(init?.headers);
    this.add(/^bearer\s+(.+)$/i.exec(headers.get('authorization') ?? '')?.[1]);
    this.add(/(?:^|;\s*)auth_token=([^;]+)/.exec(headers.get('cookie') ?? '')?.[1]);
    const body = init?.body;
    if (body instanceof URLSearchParams) this.add(body.get('password'));
    if (typeof body !== 'string') return;
    if ((headers.get('content-type') ?? '').startsWith('application/x-www-form-urlencoded')) {
      this.add(new URLSearchParams(body).get('password'));
      return;
    }
    try {
      const parsed: unknown = JSON.parse(body);
      if (parsed && typeof parsed === 'object' && 'password' in parsed) this.add(String(parsed.password));
    } catch {
      // Not JSON: the malformed bodies of error scenarios carry no password.
    }
  }

  private async response(path: string, res: Response): Promise<void> {
    for (const cookie of res.headers.getSetCookie()) this.add(/^auth_token=([^;]+)/.exec(cookie)?.[1]);
    const login = /\/user\/login$/.test(new URL(path, 'http://localhost').pathname);
    if (!login || !(res.headers.get('content-type') ?? '').startsWith('application/json')) return;
    this.add(/"token"\s*:\s*"([^"]+)"/.exec(await res.clone().text())?.[1]);
  }

  /** `target` with every exchange noted. */
  watch(target: Target): Target {
    return wrapTarget(target, (fetch) => async (path, init) => {
      this.request(init);
      const res = await fetch(path, init);
      await this.response(path, res);
      return res;
    });
  }
}

/**
 * A session as a client lives it, with the failures that tend to end up in logs: register,
 * log in (JSON and form), a wrong password, a malformed token, calls by bearer and by cookie,
 * an upload, tag edits, an unexpected 500 (`breakStore` makes the byte store fail until undone)
 * and logout. Returns the user, whose password and token the caller checks the logs for.
 */
export async function secretsFlow(target: Target, breakStore: (broken: boolean) => void): Promise<TestUser> {
  const email = uniqueEmail('log-secrets');
  const password = `pw-${crypto.randomUUID()}`;
  const f = (path: string, init?: RequestInit) => target.fetch(path, init);

  expect((await f('/api/v1/user/register', json({ email, password }))).status).toBe(201);
  expect((await f('/api/v1/user/register', json({ email, password }))).status).toBe(409);
  expect((await f('/api/v1/user/login', json({ email, password: `${password}-wrong` }))).status).toBe(401);
  const login = await f('/api/v1/user/login', json({ email, password }));
  expect(login.status).toBe(200);
  const { token } = (await login.json()) as { token: string };
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const formLogin = await f(
    '/api/user/login',
    form([
      ['email', email],
      ['password', password],
    ]),
  );
  expect(formLogin.status).toBe(200);
  await formLogin.arrayBuffer();
  const user: TestUser = { id: 0, email, password, token, cookie };

  expect((await f('/api/v1/user', { headers: bearer(user) })).status).toBe(200);
  expect((await f('/api/v1/user', { headers: withCookie(user) })).status).toBe(200);
  const tampered = `${token.slice(0, -4)}AAAA`;
  expect((await f('/api/v1/user', { headers: { authorization: `Bearer ${tampered}` } })).status).toBe(401);
  expect((await f('/api/v1/user', { headers: { cookie: `auth_token=${tampered}` } })).status).toBe(401);

  const created = await uploadRaw(target, user, await png(3, 3), { tags: ['log'] });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: number };
  const tags = await f(
    `/api/v1/images/${id}/tags`,
    json({ tags: ['a', 'b'] }, { method: 'PUT', headers: withCookie(user) }),
  );
  expect(tags.status).toBe(200);
  await tags.arrayBuffer();
  const bad = await f(
    `/api/v1/images/${id}/tags`,
    json({ tags: ['x'.repeat(65)] }, { method: 'PUT', headers: bearer(user) }),
  );
  expect(bad.status).toBe(400);
  await bad.arrayBuffer();

  breakStore(true);
  try {
    const failed = await uploadRaw(target, user, await png(2, 2));
    // A failing store is answered 503 (retry later); its cause is logged, never a secret.
    expect(failed.status).toBe(503);
    await problem(failed);
  } finally {
    breakStore(false);
  }

  expect((await f('/api/v1/user/logout', { method: 'POST', headers: withCookie(user) })).status).toBe(204);
  expect((await f('/api/v1/user', { headers: bearer(user) })).status).toBe(401);
  return user;
}
