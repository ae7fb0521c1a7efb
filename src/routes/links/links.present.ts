import type { Context } from 'hono';
import { linkToken } from '../../auth/share-token';
import type { AppEnv } from '../../http/app-env';
import { signingSecret } from '../../http/auth-middleware';
import type { ShareLink } from '../../services/share-links';
import { isoTime, unixSeconds } from '../time-format';

/** Explicit mapping; the URL is rebuilt from the id (the token is never stored). */
export async function presentLink(c: Context<AppEnv>, link: ShareLink) {
  const token = await linkToken(signingSecret(c.get('deps')), link.id);
  return {
    id: link.id,
    url: new URL(`/api/v1/shared/${token}`, c.req.url).href,
    image_id: link.imageId,
    variant: link.variant,
    created_at: isoTime(link.createdAt),
    expires_at: isoTime(link.expiresAt),
    expires_at_unix: unixSeconds(link.expiresAt),
  };
}
