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

export interface ImageStore {
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
