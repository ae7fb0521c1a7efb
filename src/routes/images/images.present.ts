import type { Context } from 'hono';
import type { AppEnv } from '../../http/app-env';
import type { ImageRecord } from '../../services/images';
import { THUMBNAIL_QUERY } from '../../services/variants';
import { isoTime, unixSeconds } from '../time-format';

// Explicit mapping: only these fields leave, whatever the record holds (e.g. storage keys).

export const legacyImage = (i: ImageRecord) => ({
  img_id: i.id,
  name: i.name,
  size: i.size,
  content_type: i.contentType,
  tags: i.tags,
  created_at: unixSeconds(i.createdAt),
  sha256: i.sha256,
  width: i.width,
  height: i.height,
});

export const imagePath = (id: number) => `/api/v1/images/${id}`;

export const v1Image = (i: ImageRecord) => ({
  id: i.id,
  name: i.name,
  size: i.size,
  content_type: i.contentType,
  tags: i.tags,
  created_at: isoTime(i.createdAt),
  created_at_unix: unixSeconds(i.createdAt),
  sha256: i.sha256,
  width: i.width,
  height: i.height,
  verified: i.verified,
  thumbhash: i.thumbhash ?? null,
  file_url: `${imagePath(i.id)}/file`,
  thumbnail_url: `${imagePath(i.id)}/file?${THUMBNAIL_QUERY}`,
});

// What the two surfaces' handlers (images.handlers.ts) differ in, stated once per surface.

/** `/api/v1`: `{tags}`, 204 on delete (its strict upload rule is the route's readUploadBody('strict')). */
export const v1 = {
  id: 'id',
  image: v1Image,
  location: imagePath,
  tags: (tags: string[]) => ({ tags }),
  deleted: (c: Context<AppEnv>) => c.body(null, 204),
} as const;

/** The original service's paths (its upload rule is the route's readUploadBody('legacy')): bare tag arrays, `{img_id, deleted}` with 200 on delete. */
export const legacy = {
  id: 'img_id',
  image: legacyImage,
  location: (id: number) => `/api/image/${id}`,
  tags: (tags: string[]) => tags,
  deleted: (c: Context<AppEnv>, id: number) => c.json({ img_id: id, deleted: true as const }, 200),
} as const;
