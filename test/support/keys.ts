import type { components } from '../generated/api';
import { bearer, json, type TestUser } from './client';
import type { Target } from './target';

export type CreatedKey = components['schemas']['CreatedApiKey'];
export type ApiKey = components['schemas']['ApiKey'];

/** Creates an API key with the user's login token; fails loudly unless it was created. */
export async function createKey(
  target: Target,
  user: TestUser,
  body: { scope: 'read' | 'read-write'; name?: string; expires_in?: number; expires_at?: string },
): Promise<CreatedKey> {
  const res = await target.fetch('/api/v1/user/keys', json(body, { headers: bearer(user) }));
  if (res.status !== 201) throw new Error(`create key failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as CreatedKey;
}

/** The same user, authenticating with the key instead of the login token (`bearer()` sends it). */
export const asKey = (user: TestUser, key: Pick<CreatedKey, 'key'>): TestUser => ({
  ...user,
  token: key.key,
  cookie: '',
});

export async function listKeys(target: Target, user: TestUser): Promise<ApiKey[]> {
  const res = await target.fetch('/api/v1/user/keys', { headers: bearer(user) });
  if (res.status !== 200) throw new Error(`list keys failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { items: ApiKey[] }).items;
}
