import type { ByteRange, ImageStore, PutOptions, StoredObject, StoredObjectInfo, UploadedPart } from './image-store';

const info = (o: R2Object): StoredObjectInfo => ({
  key: o.key,
  size: o.size,
  etag: o.httpEtag,
  uploaded: o.uploaded,
});

/**
 * Size of each part of a multipart upload. R2 wants every part but the last the same size and
 * at least 5 MiB; one part is all an upload holds in memory at a time.
 */
export const R2_PART_BYTES = 5 * 1024 * 1024;

/**
 * Bytes read into a small buffer before a part's is allocated: a body that ends within them (a
 * typical image upload) is put from that buffer, without zero-filling a 5 MiB part for 10 KB.
 */
const SMALL_BYTES = 256 * 1024;

interface Carry {
  rest: Uint8Array | undefined;
  done: boolean;
}

/**
 * Fills `buffer` from `at` on from `reader`, carrying over what did not fit; the number of bytes
 * the buffer then holds.
 */
async function fill(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  buffer: Uint8Array,
  carry: Carry,
  at = 0,
): Promise<number> {
  while (at < buffer.length) {
    let chunk = carry.rest;
    carry.rest = undefined;
    if (!chunk) {
      const r = await reader.read();
      if (r.done) {
        carry.done = true;
        break;
      }
      chunk = r.value;
    }
    const take = Math.min(chunk.byteLength, buffer.length - at);
    buffer.set(chunk.subarray(0, take), at);
    at += take;
    if (take < chunk.byteLength) carry.rest = chunk.subarray(take);
  }
  return at;
}

/**
 * A stream of unknown length into R2: a single put when it ends within the first part, else a
 * multipart upload, aborted if anything fails so no object (and no stray parts) remain. Memory
 * stays at one part, so the request limit of the platform, not the isolate's memory, bounds an
 * upload.
 */
async function putOfUnknownLength(
  bucket: R2Bucket,
  key: string,
  body: ReadableStream<Uint8Array>,
  httpMetadata: R2HTTPMetadata,
): Promise<R2Object> {
  const reader = body.getReader();
  const carry: Carry = { rest: undefined, done: false };
  let upload: R2MultipartUpload | undefined;
  const single = async (bytes: Uint8Array) => {
    const object = await bucket.put(key, bytes, { httpMetadata });
    if (!object) throw new Error(`R2 put of ${key} returned nothing`);
    return object;
  };
  try {
    const head = new Uint8Array(SMALL_BYTES);
    const headLength = await fill(reader, head, carry);
    if (carry.done) return await single(head.subarray(0, headLength));
    let part = new Uint8Array(R2_PART_BYTES);
    part.set(head);
    let length = await fill(reader, part, carry, headLength);
    if (carry.done) return await single(part.subarray(0, length));
    upload = await bucket.createMultipartUpload(key, { httpMetadata });
    const parts: R2UploadedPart[] = [];
    for (;;) {
      parts.push(await upload.uploadPart(parts.length + 1, part.subarray(0, length)));
      if (carry.done) break;
      part = new Uint8Array(R2_PART_BYTES);
      length = await fill(reader, part, carry);
      if (length === 0) break;
    }
    return await upload.complete(parts);
  } catch (err) {
    await reader.cancel(err).catch(() => {});
    await upload?.abort().catch(() => {});
    throw err;
  } finally {
    reader.releaseLock();
  }
}

/** R2 takes a stream only of known length: this one fails unless exactly `size` bytes pass. */
function ofLength(body: ReadableStream<Uint8Array>, size: number): ReadableStream<Uint8Array> {
  const fixed = new FixedLengthStream(size);
  body.pipeTo(fixed.writable).catch(() => {});
  return fixed.readable;
}

export function r2Store(bucket: R2Bucket): ImageStore {
  return {
    minPartBytes: R2_PART_BYTES,
    async createMultipart(key, { contentType }) {
      const upload = await bucket.createMultipartUpload(key, { httpMetadata: { contentType } });
      return { uploadId: upload.uploadId };
    },
    async putPart(key, body, { uploadId, partNumber, size }): Promise<UploadedPart> {
      const part = await bucket.resumeMultipartUpload(key, uploadId).uploadPart(partNumber, ofLength(body, size));
      return { number: part.partNumber, etag: part.etag };
    },
    async completeMultipart(key, uploadId, parts) {
      const upload = bucket.resumeMultipartUpload(key, uploadId);
      return info(await upload.complete(parts.map((p) => ({ partNumber: p.number, etag: p.etag }))));
    },
    async abortMultipart(key, uploadId) {
      await bucket.resumeMultipartUpload(key, uploadId).abort();
    },
    async put(key, body: ReadableStream<Uint8Array> | Blob, options: PutOptions) {
      const httpMetadata = { contentType: options.contentType };
      // R2 needs a body of known length: a Blob has one; a stream gets a FixedLengthStream, or,
      // when its length is unknown, goes up in parts (putOfUnknownLength).
      let value: ReadableStream | Blob = body;
      if (!(body instanceof Blob)) {
        if (options.size === undefined) return info(await putOfUnknownLength(bucket, key, body, httpMetadata));
        value = ofLength(body, options.size);
      }
      const object = await bucket.put(key, value, { httpMetadata });
      if (!object) throw new Error(`R2 put of ${key} returned nothing`);
      return info(object);
    },
    async get(key, range?: ByteRange): Promise<StoredObject | null> {
      const object = await bucket.get(key, range ? { range } : undefined);
      if (!object) return null;
      return { ...info(object), body: object.body, ...(range ? { range } : {}) };
    },
    async delete(keys) {
      // R2 deletes at most 1000 keys per call.
      for (let i = 0; i < keys.length; i += 1000) await bucket.delete(keys.slice(i, i + 1000));
    },
    async ping() {
      // A HEAD of a key that is never written: one class B operation, whatever the bucket holds.
      await bucket.head('healthz-probe');
    },
    async list({ cursor, limit, prefix }) {
      // The cursor is the last key listed, resumed with `startAfter`: housekeeping saves it in
      // the database for a later invocation, and R2's own cursors are documented only for
      // continuing one listing, not for being kept for hours or days.
      const page = await bucket.list({ startAfter: cursor, limit, prefix });
      const last = page.objects.at(-1);
      return { objects: page.objects.map(info), ...(page.truncated && last ? { cursor: last.key } : {}) };
    },
  };
}
