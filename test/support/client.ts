import type { Target } from './target';

export interface TestUser {
  id: number;
  email: string;
  password: string;
  token: string;
  /** The `auth_token=…` pair, as a browser would send it back. */
  cookie: string;
}

export const uniqueEmail = (label = 'user') => `${label}-${crypto.randomUUID()}@example.com`;

export const json = (body: unknown, init: RequestInit = {}): RequestInit => ({
  ...init,
  method: init.method ?? 'POST',
  headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string>) },
  body: JSON.stringify(body),
});

export const form = (fields: [string, string][], init: RequestInit = {}): RequestInit => ({
  ...init,
  method: init.method ?? 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...(init.headers as Record<string, string>) },
  body: new URLSearchParams(fields).toString(),
});

/** The original clients' credentials: a form post of `email` and `password` to a legacy path. */
export const legacyCredentials = (
  target: Target,
  path: '/api/user/register' | '/api/user/login',
  email: string,
  password: string,
) =>
  target.fetch(
    path,
    form([
      ['email', email],
      ['password', password],
    ]),
  );

export const bearer = (user: Pick<TestUser, 'token'>, headers: Record<string, string> = {}) => ({
  ...headers,
  authorization: `Bearer ${user.token}`,
});

export const withCookie = (user: Pick<TestUser, 'cookie'>, headers: Record<string, string> = {}) => ({
  ...headers,
  cookie: user.cookie,
});

/** Registers and logs in a fresh user through the public API. */
export async function newUser(target: Target, label?: string): Promise<TestUser> {
  const email = uniqueEmail(label);
  const password = `pw-${crypto.randomUUID()}`;
  const reg = await target.fetch('/api/v1/user/register', json({ email, password }));
  if (reg.status !== 201) throw new Error(`register failed: ${reg.status} ${await reg.text()}`);
  const { id } = (await reg.json()) as { id: number };
  const login = await target.fetch('/api/v1/user/login', json({ email, password }));
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${await login.text()}`);
  const { token } = (await login.json()) as { token: string };
  const setCookie = login.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0] ?? '';
  return { id, email, password, token, cookie };
}

/** Reads a problem+json body, failing loudly if the response is not one. */
export async function problem(res: Response): Promise<{
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: { name: string; in: string; message: string }[];
}> {
  const type = res.headers.get('content-type') ?? '';
  if (!type.startsWith('application/problem+json')) {
    throw new Error(`expected problem+json, got ${res.status} ${type}: ${await res.text()}`);
  }
  return (await res.json()) as Awaited<ReturnType<typeof problem>>;
}

/** The clock as a JWT reads it: whole seconds since the epoch. */
export const nowSeconds = () => Math.floor(Date.now() / 1000);
