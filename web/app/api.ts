// The app's only way to the server: the public /api/v1, same origin, with the session cookie.
// Types follow the OpenAPI document (test/generated/openapi.json).
import { type Problem, problemMessage } from './messages';

export { formatBytes, type Problem } from './messages';

export interface Image {
  id: number;
  name: string;
  size: number;
  content_type: string;
  tags: string[];
  created_at: string;
  width: number | null;
  height: number | null;
  verified: boolean;
  file_url: string;
  thumbnail_url: string;
}
export interface ImagePage {
  items: Image[];
  next_cursor: string | null;
}
export interface TagCount {
  name: string;
  count: number;
}
export interface User {
  id: number;
  email: string;
  created_at: string;
}
export interface ShareLink {
  id: string;
  url: string;
  image_id: number;
  created_at: string;
  expires_at: string;
}
export interface ApiKey {
  id: number;
  prefix: string;
  name: string | null;
  scope: 'read' | 'read-write';
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
}
export interface CreatedApiKey extends ApiKey {
  key: string;
}
export interface Usage {
  storage: {
    images_count: number;
    bytes_stored: number;
    limits: { max_bytes: number | null; max_images: number | null };
  };
}

export const BASE = '/api/v1';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem | undefined,
    retryAfter: string | null,
  ) {
    super(problemMessage(status, problem, retryAfter));
  }
}

async function readProblem(res: Response): Promise<Problem | undefined> {
  return res.headers.get('content-type')?.includes('json') ? ((await res.json()) as Problem) : undefined;
}

/** A JSON call to /api/v1; throws ApiError with a readable message on any refusal. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${BASE}${path}`, {
      method,
      credentials: 'same-origin',
      headers:
        body === undefined
          ? { Accept: 'application/json' }
          : { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, undefined, null);
  }
  if (!res.ok) throw new ApiError(res.status, await readProblem(res), res.headers.get('retry-after'));
  return (res.status === 204 ? undefined : await res.json()) as T;
}

export interface UploadProgress {
  loaded: number;
  total: number;
  /** Bytes per second since the upload started. */
  speed: number;
}

export interface UploadHandle {
  done: Promise<Image>;
  cancel(): void;
}

/**
 * The multipart upload (`POST /api/v1/images`) through XMLHttpRequest: fetch reports no upload
 * progress. Tags go as repeated fields.
 */
export function uploadImage(file: File, tags: string[], onProgress: (p: UploadProgress) => void): UploadHandle {
  const xhr = new XMLHttpRequest();
  const form = new FormData();
  form.append('image', file, file.name);
  for (const tag of tags) form.append('tags', tag);
  const started = performance.now();
  const done = new Promise<Image>((resolve, reject) => {
    xhr.upload.onprogress = (e) => {
      const seconds = (performance.now() - started) / 1000;
      onProgress({ loaded: e.loaded, total: e.total || file.size, speed: seconds > 0 ? e.loaded / seconds : 0 });
    };
    xhr.onload = () => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(xhr.responseText);
      } catch {
        parsed = undefined;
      }
      if (xhr.status === 201) resolve(parsed as Image);
      else reject(new ApiError(xhr.status, parsed as Problem | undefined, xhr.getResponseHeader('retry-after')));
    };
    xhr.onerror = () => reject(new ApiError(0, undefined, null));
    xhr.onabort = () => reject(new DOMException('Cancelled', 'AbortError'));
  });
  xhr.open('POST', `${BASE}/images`);
  xhr.setRequestHeader('Accept', 'application/json');
  xhr.send(form);
  return { done, cancel: () => xhr.abort() };
}

/** `file?width=…`: the variant query the API documents for `GET /images/{id}/file`. */
export const variantUrl = (image: Image, size: number) =>
  `${image.file_url}?width=${size}&height=${size}&fit=inside&format=auto`;

/** The public page of a share link: its token is the last part of the link's URL. */
export const sharedPageUrl = (link: ShareLink) =>
  new URL(`/s/${link.url.slice(link.url.lastIndexOf('/') + 1)}`, location.origin).href;
