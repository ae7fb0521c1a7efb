import type { ApiKey } from '../../services/api-keys';
import { isoTime } from '../time-format';

// Explicit mapping: the hash never leaves.
export const presentKey = (k: ApiKey) => ({
  id: k.id,
  prefix: k.prefix,
  name: k.name,
  scope: k.scope,
  created_at: isoTime(k.createdAt),
  last_used_at: k.lastUsedAt === null ? null : isoTime(k.lastUsedAt),
  expires_at: k.expiresAt === null ? null : isoTime(k.expiresAt),
});
