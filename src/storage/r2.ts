import type { ByteRange, ImageStore, PutOptions, StoredObject, StoredObjectInfo } from './image-store';

const info = (o: R2Object): StoredObjectInfo => ({
  key: o.key,
  size: o.size,
  etag: o.httpEtag,
  uploaded: o.uploaded,
});

export function r2Store(bucket: R2Bucket): ImageStore {
  return {
    async put(key, body: ReadableStream<Uint8Array> | Blob, options: PutOptions) {
      // R2 needs a body of known length: a Blob has one; a stream gets a FixedLengthStream.
      let value: ReadableStream | Blob = body;
      if (!(body instanceof Blob)) {
        const fixed = new FixedLengthStream(options.size);
        body.pipeTo(fixed.writable).catch(() => {});
        value = fixed.readable;
      }
      const object = await bucket.put(key, value, { httpMetadata: { contentType: options.contentType } });
      if (!object) throw new Error(`R2 put of ${key} returned nothing`);
      return info(object);
    },
    async get(key, range?: ByteRange): Promise<StoredObject | null> {
      const object = await bucket.get(key, range ? { range } : undefined);
      if (!object) return null;
      return { ...info(object), body: object.body, ...(range ? { range } : {}) };
    },
    async head(key) {
      const object = await bucket.head(key);
      return object ? info(object) : null;
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
