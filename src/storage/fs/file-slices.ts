import { etagOf, statBig } from './file-info';

/** The file range behind a body stream this store created. */
export interface FileSlice {
  path: string;
  start: number;
  end: number;
}

export const fileSlices = new WeakMap<ReadableStream, FileSlice & { etag: string }>();

/**
 * For a runtime that sends files better than streams (Bun keeps `Content-Length` only for file
 * bodies): the file range behind `body`, if this store made it, nobody has started reading it
 * and the file is still the one `get` described.
 */
export async function fileSliceOf(body: unknown): Promise<FileSlice | undefined> {
  if (!(body instanceof ReadableStream) || body.locked) return undefined;
  const slice = fileSlices.get(body);
  if (!slice) return undefined;
  try {
    if (etagOf(await statBig(slice.path)) !== slice.etag) return undefined;
  } catch {
    return undefined;
  }
  return { path: slice.path, start: slice.start, end: slice.end };
}
