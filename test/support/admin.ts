import type { components } from '../generated/api';
import { bearer, json, type TestUser } from './client';
import { OPERATOR_EMAIL, OPERATOR_PASSWORD } from './operator';
import { setOperatorOn, type Target } from './target';

export type Storage = components['schemas']['Storage'];

/**
 * Logs in as the operator, registering the account and granting it operator rights by the
 * operator action the first time on this server.
 */
export async function operator(target: Target): Promise<TestUser> {
  const credentials = { email: OPERATOR_EMAIL, password: OPERATOR_PASSWORD };
  const reg = await target.fetch('/api/v1/user/register', json(credentials));
  if (reg.status !== 201 && reg.status !== 409) throw new Error(`register operator: ${reg.status} ${await reg.text()}`);
  if (reg.status === 201) await setOperatorOn(target, OPERATOR_EMAIL, true);
  const login = await target.fetch('/api/v1/user/login', json(credentials));
  if (login.status !== 200) throw new Error(`operator login: ${login.status} ${await login.text()}`);
  const { token } = (await login.json()) as { token: string };
  const me = await target.fetch('/api/v1/user', { headers: { authorization: `Bearer ${token}` } });
  const { id } = (await me.json()) as { id: number };
  return { id, email: OPERATOR_EMAIL, password: OPERATOR_PASSWORD, token, cookie: '' };
}

/** Sets a user's quota overrides as the operator. */
export async function setQuota(
  target: Target,
  admin: TestUser,
  userId: number,
  quota: { max_bytes?: number | null; max_images?: number | null },
): Promise<Storage> {
  const res = await target.fetch(
    `/api/v1/admin/users/${userId}/quota`,
    json(quota, { method: 'PUT', headers: bearer(admin) }),
  );
  if (res.status !== 200) throw new Error(`set quota: ${res.status} ${await res.text()}`);
  return (await res.json()) as Storage;
}
