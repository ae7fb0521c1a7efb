/** Where image bytes live: R2 on Workers, a directory on Node/Bun. Keys are ours, never user input. */

export interface ByteRange {
  offset: number;
  length: number;
}

export interface StoredObjectInfo {
  key: string;
  size: number;
  /** Quoted strong entity tag, ready for the `ETag` header. */
  etag: string;
  uploaded: Date;
}

export interface StoredObject extends StoredObjectInfo {
  body: ReadableStream<Uint8Array>;
  /**
   * The same bytes as `body`, when the store read them in one go (a small object on the fs
   * store): a runtime writes an in-memory body with its headers at once, where a stream costs a
   * pipe and a separate write for the headers.
   */
  bytes?: Uint8Array<ArrayBuffer>;
  /** The slice `body` holds when a range was asked for. */
  range?: ByteRange;
}

export interface PutOptions {
  contentType: string;
  /**
   * Exact byte length of the body when known up front; a body of unknown length (an upload as it
   * streams in) is stored as it arrives. Either way a body that fails midway stores nothing.
   */
  size?: number;
}

/** A part a multipart upload holds: its number (from 1) and the store's tag for it. */
export interface UploadedPart {
  number: number;
  etag: string;
}

/** Where a client may send a part itself, when the store can sign such a request. */
export interface PresignedPart {
  url: string;
  method: 'PUT';
  /** Headers the client must send as they are (the signature covers them). */
  headers: Record<string, string>;
}

/**
 * Multipart uploads, S3-style: begun for a key, parts put by number (any order, again to
 * replace), then assembled into the object, or aborted leaving nothing. A part is streamed, never
 * held whole. Stores that want equal parts (R2, S3) say so with `minPartBytes`: every part but
 * the last must then be the same size and at least that.
 */
export interface MultipartStore {
  /** Smallest size every part but the last may have; 1 when any will do. */
  readonly minPartBytes: number;
  createMultipart(key: string, options: { contentType: string }): Promise<{ uploadId: string }>;
  /** `size` is exact: a body longer or shorter fails and keeps nothing of this part. */
  putPart(
    key: string,
    body: ReadableStream<Uint8Array>,
    options: { uploadId: string; partNumber: number; size: number },
  ): Promise<UploadedPart>;
  /**
   * Assembles the parts, in number order, into the object at `key`; `size` (their total) only
   * gives a store that copies the bytes the time to do it.
   */
  completeMultipart(key: string, uploadId: string, parts: UploadedPart[], size: number): Promise<StoredObjectInfo>;
  /** Removes every part; nothing to do for an upload already gone. */
  abortMultipart(key: string, uploadId: string): Promise<void>;
  /**
   * A URL the client may PUT this part to directly, signed for its exact length and valid for
   * `expiresInSeconds`; absent when the store cannot sign (the app then receives the part).
   */
  presignPart?(
    key: string,
    options: { uploadId: string; partNumber: number; size: number; expiresInSeconds: number },
  ): Promise<PresignedPart>;
  /** The parts the store holds, for a presigned upload (the app never saw them). */
  listParts?(key: string, uploadId: string): Promise<(UploadedPart & { size: number; uploaded: Date })[]>;
}

export interface ImageStore extends MultipartStore {
  put(key: string, body: ReadableStream<Uint8Array> | Blob, options: PutOptions): Promise<StoredObjectInfo>;
  get(key: string, range?: ByteRange): Promise<StoredObject | null>;
  delete(keys: string[]): Promise<void>;
  /** Throws unless the store is reachable and usable; cheap (no listing), for health checks. */
  ping(): Promise<void>;
  /**
   * Pages through stored keys in key order, for housekeeping; `prefix` keeps only keys starting
   * with it. A returned `cursor` means there is more; it stays valid across processes and time,
   * so it may be saved and resumed later.
   */
  list(options: {
    cursor?: string;
    limit?: number;
    prefix?: string;
  }): Promise<{ objects: StoredObjectInfo[]; cursor?: string }>;
}
