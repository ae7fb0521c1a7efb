/**
 * The ImageStore on any S3-compatible object store (AWS S3, R2's S3 API, MinIO, moto), so several
 * Node or Bun servers can share one set of bytes.
 *
 * Requests are signed with `aws4fetch`, not `@aws-sdk/client-s3`: it is a few kilobytes over the
 * standard `fetch` and WebCrypto, with no dependencies, so the same module also runs on Workers,
 * Node and Bun unchanged; the SDK is megabytes of generated clients and middleware, tied to Node
 * streams and its own HTTP handler, for the handful of calls this store makes.
 * Bodies are sent as `UNSIGNED-PAYLOAD` (aws4fetch's default for S3), so nothing is read twice to
 * hash it for the signature; the upload path hashes the bytes itself (services/upload-stream.ts).
 */
import { AwsClient } from 'aws4fetch';
import type {
  ByteRange,
  ImageStore,
  PresignedPart,
  PutOptions,
  StoredObject,
  StoredObjectInfo,
  UploadedPart,
} from './image-store';
import { escapeXmlText, xmlElements, xmlText } from './s3-xml';

export interface S3Settings {
  bucket: string;
  /** Origin of an S3-compatible server, e.g. `http://127.0.0.1:9000`; absent: AWS itself. */
  endpoint?: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

/**
 * Size of each multipart part but the last: S3's minimum, and all an upload holds in memory at a
 * time. A body that ends within it is sent as one PUT.
 */
export const S3_PART_BYTES = 5 * 1024 * 1024;
/** Bytes read into a small buffer first: a typical image ends within them, with no part allocated. */
const SMALL_BYTES = 256 * 1024;
/** The longest a presigned URL may live in S3 (seven days). */
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
/** DeleteObjects takes at most this many keys per request. */
const DELETE_BATCH = 1000;
const LIST_MAX = 1000;
/**
 * Bodies up to this size are read whole before returning (as the directory store does): the
 * runtime then writes them with their headers at once, and Bun keeps their Content-Length, which
 * it may drop from a stream (oven-sh/bun#10507).
 */
const READ_WHOLE_BYTES = 64 * 1024;

/** A stored object whose bytes are already in memory; `body` streams them on demand. */
function withBytes(info: Omit<StoredObject, 'body' | 'bytes'>, bytes: Uint8Array<ArrayBuffer>): StoredObject {
  let stream: ReadableStream<Uint8Array> | undefined;
  return {
    ...info,
    bytes,
    get body() {
      stream ??= new Blob([bytes]).stream() as ReadableStream<Uint8Array>;
      return stream;
    },
  };
}

/** A reply from the S3 server that was not the success the call needed. */
export class S3Error extends Error {
  override name = 'S3Error';
  constructor(
    readonly operation: string,
    readonly status: number,
    readonly code: string | undefined,
    detail: string | undefined,
  ) {
    super(`S3 ${operation} failed: ${status}${code ? ` ${code}` : ''}${detail ? `: ${detail}` : ''}`);
  }
}

async function failure(operation: string, response: Response): Promise<S3Error> {
  const text = await response.text().catch(() => '');
  return new S3Error(operation, response.status, xmlText(text, 'Code'), xmlText(text, 'Message')?.slice(0, 200));
}

/** S3's entity tags are already quoted; some servers leave the quotes off. */
const quoted = (etag: string) => (etag.startsWith('"') || etag.startsWith('W/') ? etag : `"${etag}"`);

interface Carry {
  rest: Uint8Array | undefined;
  done: boolean;
}

/** Fills `buffer` from `at` on from `reader`, carrying over what did not fit; the bytes it then holds. */
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
 * Exactly `size` bytes of `body`, or an error (longer, or ended short). A part the app receives
 * is at most the upload's part size, which the settings bound, so it is held whole: S3 wants its
 * length before the first byte, and a retried request must send it again.
 */
async function exactly(body: ReadableStream<Uint8Array>, size: number): Promise<Uint8Array<ArrayBuffer>> {
  const reader = body.getReader();
  const buffer = new Uint8Array(size);
  const carry: Carry = { rest: undefined, done: false };
  try {
    const length = await fill(reader, buffer, carry);
    if (length < size) throw new Error(`Part ended after ${length} of ${size} bytes`);
    if (carry.rest?.byteLength || !(await reader.read()).done) throw new Error(`Part is longer than ${size} bytes`);
    return buffer;
  } catch (err) {
    await reader.cancel(err).catch(() => {});
    throw err;
  } finally {
    reader.releaseLock();
  }
}

/** `bytes a-b/total` → the slice and the whole size. */
function contentRange(header: string | null): { offset: number; length: number; size: number } | undefined {
  const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header?.trim() ?? '');
  if (!m) return undefined;
  const [start, end, size] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return { offset: start, length: end - start + 1, size };
}

export interface S3ImageStore extends ImageStore {
  readonly bucket: string;
  presignPart: NonNullable<ImageStore['presignPart']>;
  listParts: NonNullable<ImageStore['listParts']>;
  /** The multipart uploads begun and neither completed nor aborted (for tests and operators). */
  listMultipartUploads(prefix?: string): Promise<{ key: string; uploadId: string }[]>;
}

export function s3Store(settings: S3Settings): S3ImageStore {
  const client = new AwsClient({
    accessKeyId: settings.accessKeyId,
    secretAccessKey: settings.secretAccessKey,
    region: settings.region,
    service: 's3',
    // aws4fetch retries 5xx replies itself; bodies here are buffers, so a retry resends them whole.
    retries: 2,
  });
  // Path-style with an endpoint (what S3-compatible servers and R2 expect); virtual-hosted on AWS.
  const base = settings.endpoint
    ? `${settings.endpoint.replace(/\/+$/, '')}/${encodeURIComponent(settings.bucket)}`
    : `https://${settings.bucket}.s3.${settings.region}.amazonaws.com`;

  const urlOf = (key: string, query: Record<string, string> = {}) => {
    if (!key || key.startsWith('/') || key.split('/').some((s) => s === '' || s === '.' || s === '..')) {
      throw new Error(`Invalid storage key ${JSON.stringify(key.slice(0, 100))}`);
    }
    const url = new URL(`${base}/${key.split('/').map(encodeURIComponent).join('/')}`);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    return url;
  };
  const bucketUrl = (query: Record<string, string> = {}) => {
    const url = new URL(`${base}/`);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    return url;
  };

  async function send(operation: string, url: URL, init: RequestInit, ok = (s: number) => s >= 200 && s < 300) {
    const response = await client.fetch(url, init);
    if (!ok(response.status)) throw await failure(operation, response);
    return response;
  }

  async function putOnce(key: string, body: Uint8Array | Blob, contentType: string): Promise<StoredObjectInfo> {
    const size = body instanceof Blob ? body.size : body.byteLength;
    const response = await send('PutObject', urlOf(key), {
      method: 'PUT',
      body,
      headers: { 'content-type': contentType, 'content-length': String(size) },
    });
    await response.body?.cancel();
    const etag = response.headers.get('etag');
    if (!etag) throw new Error(`S3 PutObject of ${key} returned no ETag`);
    return { key, size, etag: quoted(etag), uploaded: new Date() };
  }

  async function beginMultipart(key: string, contentType: string): Promise<string> {
    const response = await send('CreateMultipartUpload', urlOf(key, { uploads: '' }), {
      method: 'POST',
      headers: { 'content-type': contentType },
    });
    const uploadId = xmlText(await response.text(), 'UploadId');
    if (!uploadId) throw new Error(`S3 CreateMultipartUpload of ${key} returned no UploadId`);
    return uploadId;
  }

  async function uploadPart(key: string, uploadId: string, partNumber: number, bytes: Uint8Array): Promise<string> {
    const response = await send('UploadPart', urlOf(key, { partNumber: String(partNumber), uploadId }), {
      method: 'PUT',
      body: bytes,
      headers: { 'content-length': String(bytes.byteLength) },
    });
    await response.body?.cancel();
    const etag = response.headers.get('etag');
    if (!etag) throw new Error(`S3 UploadPart ${partNumber} of ${key} returned no ETag`);
    return etag;
  }

  async function completeParts(key: string, uploadId: string, numbered: UploadedPart[]): Promise<string> {
    const parts = [...numbered]
      .sort((a, b) => a.number - b.number)
      .map((p) => `<Part><PartNumber>${p.number}</PartNumber><ETag>${escapeXmlText(p.etag)}</ETag></Part>`)
      .join('');
    const response = await send('CompleteMultipartUpload', urlOf(key, { uploadId }), {
      method: 'POST',
      body: `<CompleteMultipartUpload>${parts}</CompleteMultipartUpload>`,
      headers: { 'content-type': 'application/xml' },
    });
    // S3 may answer 200 and still report a failure in the body.
    const text = await response.text();
    if (xmlElements(text, 'Error').length > 0) {
      throw new S3Error('CompleteMultipartUpload', response.status, xmlText(text, 'Code'), xmlText(text, 'Message'));
    }
    const etag = xmlText(text, 'ETag');
    if (!etag) throw new Error(`S3 CompleteMultipartUpload of ${key} returned no ETag`);
    return quoted(etag);
  }

  async function abortParts(key: string, uploadId: string): Promise<void> {
    const response = await send(
      'AbortMultipartUpload',
      urlOf(key, { uploadId }),
      { method: 'DELETE' },
      (s) => (s >= 200 && s < 300) || s === 404,
    );
    await response.body?.cancel();
  }

  /**
   * A stream into S3 with memory bounded by one part: a single PUT when it ends within the first
   * part, else a multipart upload, aborted if anything fails so neither an object nor stray parts
   * remain. A declared `size` the body does not match fails the put the same way.
   */
  async function putStream(
    key: string,
    body: ReadableStream<Uint8Array>,
    contentType: string,
    declared: number | undefined,
  ): Promise<StoredObjectInfo> {
    const reader = body.getReader();
    const carry: Carry = { rest: undefined, done: false };
    let uploadId: string | undefined;
    let total = 0;
    const check = () => {
      if (declared === undefined) return;
      if (total > declared) throw new Error(`Body for ${key} is longer than the declared ${declared} bytes`);
      if (carry.done && total !== declared)
        throw new Error(`Body for ${key} ended after ${total} of ${declared} bytes`);
    };
    try {
      const head = new Uint8Array(SMALL_BYTES);
      let length = await fill(reader, head, carry);
      total = length;
      check();
      if (carry.done) return await putOnce(key, head.subarray(0, length), contentType);
      let part = new Uint8Array(S3_PART_BYTES);
      part.set(head);
      length = await fill(reader, part, carry, length);
      total = length;
      check();
      if (carry.done) return await putOnce(key, part.subarray(0, length), contentType);
      uploadId = await beginMultipart(key, contentType);
      const etags: string[] = [];
      for (;;) {
        etags.push(await uploadPart(key, uploadId, etags.length + 1, part.subarray(0, length)));
        if (carry.done) break;
        part = new Uint8Array(S3_PART_BYTES);
        length = await fill(reader, part, carry);
        total += length;
        check();
        if (length === 0) break;
      }
      const etag = await completeParts(
        key,
        uploadId,
        etags.map((e, i) => ({ number: i + 1, etag: e })),
      );
      return { key, size: total, etag, uploaded: new Date() };
    } catch (err) {
      await reader.cancel(err).catch(() => {});
      if (uploadId) await abortParts(key, uploadId).catch(() => {});
      throw err;
    } finally {
      reader.releaseLock();
    }
  }

  /** The object described by a HEAD, with an empty body at `offset` (clamped to its size); null when missing. */
  async function describedEmpty(key: string, offset: number): Promise<StoredObject | null> {
    const response = await send('HeadObject', urlOf(key), { method: 'HEAD' }, (s) => s === 200 || s === 404);
    await response.body?.cancel();
    if (response.status === 404) return null;
    const size = Number(response.headers.get('content-length'));
    if (!Number.isSafeInteger(size)) throw new Error(`S3 HeadObject of ${key} did not say its size`);
    return {
      key,
      size,
      etag: quoted(response.headers.get('etag') ?? ''),
      uploaded: new Date(response.headers.get('last-modified') ?? Date.now()),
      body: new Blob([]).stream() as ReadableStream<Uint8Array>,
      range: { offset: Math.min(offset, size), length: 0 },
    };
  }

  return {
    bucket: settings.bucket,

    async put(key, body, options: PutOptions) {
      const { size } = options;
      if (size !== undefined && (!Number.isSafeInteger(size) || size < 0)) throw new RangeError(`Invalid size ${size}`);
      if (body instanceof Blob && body.size <= S3_PART_BYTES) {
        if (size !== undefined && size !== body.size) {
          throw new Error(`Body for ${key} is ${body.size} bytes, not the declared ${size}`);
        }
        return putOnce(key, body, options.contentType);
      }
      const stream = body instanceof Blob ? (body.stream() as ReadableStream<Uint8Array>) : body;
      return putStream(key, stream, options.contentType, body instanceof Blob ? body.size : size);
    },

    async get(key, range?: ByteRange): Promise<StoredObject | null> {
      if (range && !(Number.isSafeInteger(range.offset) && range.offset >= 0)) {
        throw new RangeError(`Invalid range offset ${range.offset}`);
      }
      if (range && !(Number.isSafeInteger(range.length) && range.length >= 0)) {
        throw new RangeError(`Invalid range length ${range.length}`);
      }
      // An empty range has no `bytes=` form: the object's description, with an empty body.
      const empty = range?.length === 0;
      const headers: Record<string, string> =
        range && !empty ? { range: `bytes=${range.offset}-${range.offset + range.length - 1}` } : {};
      if (empty) return describedEmpty(key, range.offset);
      const response = await send('GetObject', urlOf(key), { method: 'GET', headers }, (s) =>
        [200, 206, 404, 416].includes(s),
      );
      if (response.status === 404) {
        await response.body?.cancel();
        return null;
      }
      if (response.status === 416) {
        // A range starting past the end: described by a HEAD (not every server says the size in
        // its 416), and clamped to an empty slice as the directory store does.
        await response.body?.cancel();
        return describedEmpty(key, range?.offset ?? 0);
      }
      const etag = quoted(response.headers.get('etag') ?? '');
      const uploaded = new Date(response.headers.get('last-modified') ?? Date.now());
      if (!response.body) throw new Error(`S3 GetObject of ${key} returned no body`);
      if (response.status === 206) {
        const slice = contentRange(response.headers.get('content-range'));
        if (!slice) {
          await response.body.cancel();
          throw new Error(`S3 GetObject of ${key} returned 206 without a Content-Range`);
        }
        const { size, ...sliced } = slice;
        const info = { key, size, etag, uploaded, range: sliced };
        if (sliced.length <= READ_WHOLE_BYTES) return withBytes(info, new Uint8Array(await response.arrayBuffer()));
        return { ...info, body: response.body };
      }
      const size = Number(response.headers.get('content-length'));
      // A range the server chose to ignore (200): the whole object, described as such.
      const info = { key, size, etag, uploaded, ...(range ? { range: { offset: 0, length: size } } : {}) };
      if (size <= READ_WHOLE_BYTES) return withBytes(info, new Uint8Array(await response.arrayBuffer()));
      return { ...info, body: response.body };
    },

    async delete(keys) {
      const urls = keys.map((k) => urlOf(k)); // a bad key deletes nothing
      if (urls.length === 1) {
        const [url] = urls as [URL];
        const response = await send(
          'DeleteObject',
          url,
          { method: 'DELETE' },
          (s) => (s >= 200 && s < 300) || s === 404,
        );
        await response.body?.cancel();
        return;
      }
      for (let i = 0; i < keys.length; i += DELETE_BATCH) {
        const batch = keys.slice(i, i + DELETE_BATCH);
        const body = `<Delete><Quiet>true</Quiet>${batch.map((k) => `<Object><Key>${escapeXmlText(k)}</Key></Object>`).join('')}</Delete>`;
        const bytes = new TextEncoder().encode(body);
        // DeleteObjects wants a checksum of its body; SHA-256 is in WebCrypto everywhere, MD5 is not.
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
        const response = await send('DeleteObjects', bucketUrl({ delete: '' }), {
          method: 'POST',
          body: bytes,
          headers: {
            'content-type': 'application/xml',
            'x-amz-sdk-checksum-algorithm': 'SHA256',
            'x-amz-checksum-sha256': btoa(String.fromCharCode(...digest)),
          },
        });
        const errors = xmlElements(await response.text(), 'Error');
        // A key that is already gone is not an error in S3; anything reported is.
        if (errors.length > 0) {
          const first = errors[0] as string;
          throw new S3Error(
            'DeleteObjects',
            response.status,
            xmlText(first, 'Code'),
            `${errors.length} of ${batch.length} keys not deleted, e.g. ${xmlText(first, 'Key')}: ${xmlText(first, 'Message')}`,
          );
        }
      }
    },

    async ping() {
      const response = await send('HeadBucket', bucketUrl(), { method: 'HEAD' });
      await response.body?.cancel();
    },

    async list({ cursor, limit, prefix }) {
      // The cursor is the last key listed, resumed with `start-after`: housekeeping saves it in
      // the database for a later run, which a continuation token is not documented to survive.
      const max = Math.max(1, Math.min(LIST_MAX, Math.floor(limit ?? LIST_MAX)));
      const query: Record<string, string> = { 'list-type': '2', 'max-keys': String(max) };
      if (prefix) query.prefix = prefix;
      if (cursor) query['start-after'] = cursor;
      const response = await send('ListObjectsV2', bucketUrl(query), { method: 'GET' });
      const xml = await response.text();
      const objects = xmlElements(xml, 'Contents').map((c): StoredObjectInfo => {
        const key = xmlText(c, 'Key');
        const size = Number(xmlText(c, 'Size'));
        if (!key || !Number.isSafeInteger(size))
          throw new Error('S3 ListObjectsV2 returned an entry without a key or size');
        return {
          key,
          size,
          etag: quoted(xmlText(c, 'ETag') ?? ''),
          uploaded: new Date(xmlText(c, 'LastModified') ?? 0),
        };
      });
      const last = objects.at(-1);
      const truncated = xmlText(xml, 'IsTruncated') === 'true';
      return { objects, ...(truncated && last ? { cursor: last.key } : {}) };
    },

    minPartBytes: S3_PART_BYTES,

    async createMultipart(key, { contentType }) {
      return { uploadId: await beginMultipart(key, contentType) };
    },

    async putPart(key, body, { uploadId, partNumber, size }) {
      const etag = await uploadPart(key, uploadId, partNumber, await exactly(body, size));
      return { number: partNumber, etag };
    },

    async completeMultipart(key, uploadId, parts): Promise<StoredObjectInfo> {
      await completeParts(key, uploadId, parts);
      // The assembled object as stored: its size is the parts' real total, which the caller
      // checks against what was declared (a presigned part's length is the client's to send).
      const described = await describedEmpty(key, 0);
      if (!described) throw new Error(`S3 CompleteMultipartUpload of ${key} left no object`);
      const { body, range, ...info } = described;
      await body.cancel();
      return info;
    },

    abortMultipart: abortParts,

    async presignPart(key, { uploadId, partNumber, size, expiresInSeconds }): Promise<PresignedPart> {
      const url = urlOf(key, {
        partNumber: String(partNumber),
        uploadId,
        'X-Amz-Expires': String(Math.max(1, Math.min(MAX_PRESIGN_SECONDS, Math.floor(expiresInSeconds)))),
      });
      // `allHeaders` puts Content-Length in the signature: a store that checks it refuses a part
      // of any other length (completion checks every part's size either way).
      const signed = await client.sign(url, {
        method: 'PUT',
        headers: { 'content-length': String(size) },
        aws: { signQuery: true, allHeaders: true },
      });
      return { url: signed.url, method: 'PUT', headers: { 'Content-Length': String(size) } };
    },

    async listParts(key, uploadId) {
      const parts: (UploadedPart & { size: number; uploaded: Date })[] = [];
      let marker: string | undefined;
      for (;;) {
        const query: Record<string, string> = { uploadId, 'max-parts': String(LIST_MAX) };
        if (marker) query['part-number-marker'] = marker;
        const response = await send('ListParts', urlOf(key, query), { method: 'GET' });
        const xml = await response.text();
        for (const p of xmlElements(xml, 'Part')) {
          const number = Number(xmlText(p, 'PartNumber'));
          const size = Number(xmlText(p, 'Size'));
          const etag = xmlText(p, 'ETag');
          if (!Number.isSafeInteger(number) || !Number.isSafeInteger(size) || !etag) {
            throw new Error('S3 ListParts returned a part without a number, size or ETag');
          }
          parts.push({ number, size, etag, uploaded: new Date(xmlText(p, 'LastModified') ?? Date.now()) });
        }
        marker = xmlText(xml, 'NextPartNumberMarker');
        if (xmlText(xml, 'IsTruncated') !== 'true' || !marker) return parts;
      }
    },

    async listMultipartUploads(prefix) {
      const response = await send('ListMultipartUploads', bucketUrl({ uploads: '', ...(prefix ? { prefix } : {}) }), {
        method: 'GET',
      });
      return xmlElements(await response.text(), 'Upload').map((u) => ({
        key: xmlText(u, 'Key') ?? '',
        uploadId: xmlText(u, 'UploadId') ?? '',
      }));
    },
  };
}
