import type { UploadSessionView } from '../../services/upload-sessions';
import { isoTime } from '../time-format';

// Explicit mapping: the storage key and the store's multipart id never leave.
export const uploadSession = ({ session: s, received, missing }: UploadSessionView) => ({
  id: s.id,
  state: s.state,
  file_name: s.fileName,
  content_type: s.contentType,
  size: s.size,
  sha256: s.sha256,
  tags: JSON.parse(s.tags) as string[],
  part_size: s.partSize,
  part_count: s.partCount,
  expires_at: isoTime(s.expiresAt),
  parts: missing,
  received: received.map((p) => ({ number: p.number, size: p.size, received_at: isoTime(p.receivedAt) })),
  image_id: s.imageId,
  refusal: s.refusal,
});

export const uploadPath = (id: string) => `/api/v1/uploads/${id}`;
