import { isoTime, unixSeconds } from '../../http/openapi';
import type { ImageRecord } from '../../services/images';
import { THUMBNAIL_QUERY } from '../../services/variants';

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
  file_url: `${imagePath(i.id)}/file`,
  thumbnail_url: `${imagePath(i.id)}/file?${THUMBNAIL_QUERY}`,
});
