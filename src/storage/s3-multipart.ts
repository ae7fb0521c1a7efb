/**
 * A store whose upload sessions go through the bucket's S3 API while everything else keeps its
 * own path: on Workers, R2's binding for reads, writes and deletes, and R2's S3 endpoint for the
 * multipart uploads, so each part can be presigned and a client sends its bytes straight to the
 * bucket. Every multipart call goes through the S3 API (not only the signing), so an upload
 * begun there is only ever continued there.
 */
import type { ImageStore, MultipartStore } from './image-store';

type PresigningStore = MultipartStore & Required<Pick<MultipartStore, 'presignPart' | 'listParts'>>;

export function withS3Multipart(store: ImageStore, s3: PresigningStore): ImageStore {
  return {
    put: (key, body, options) => store.put(key, body, options),
    get: (key, range) => store.get(key, range),
    delete: (keys) => store.delete(keys),
    ping: () => store.ping(),
    list: (options) => store.list(options),
    minPartBytes: s3.minPartBytes,
    createMultipart: (key, options) => s3.createMultipart(key, options),
    putPart: (key, body, options) => s3.putPart(key, body, options),
    completeMultipart: (key, uploadId, parts, size) => s3.completeMultipart(key, uploadId, parts, size),
    abortMultipart: (key, uploadId) => s3.abortMultipart(key, uploadId),
    presignPart: (key, options) => s3.presignPart(key, options),
    listParts: (key, uploadId) => s3.listParts(key, uploadId),
  };
}
