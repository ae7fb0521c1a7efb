import type { components } from '../generated/api';
import { bearer, type TestUser } from './client';
import type { Target } from './target';

export interface Part {
  name: string;
  value: Uint8Array | string;
  filename?: string;
  contentType?: string;
}

/**
 * A multipart body built byte by byte, as Python `requests` sends it: the `tags` part is a
 * JSON string with its own `Content-Type: application/json` and no filename.
 */
export function multipart(parts: Part[], boundary = `----py${crypto.randomUUID().replace(/-/g, '')}`) {
  const enc = new TextEncoder();
  const chunks: Uint8Array[] = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) head += `; filename="${p.filename}"`;
    head += '\r\n';
    if (p.contentType) head += `Content-Type: ${p.contentType}\r\n`;
    chunks.push(enc.encode(`${head}\r\n`));
    chunks.push(typeof p.value === 'string' ? enc.encode(p.value) : p.value);
    chunks.push(enc.encode('\r\n'));
  }
  chunks.push(enc.encode(`--${boundary}--\r\n`));
  const body = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.length;
  }
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

export interface UploadOptions {
  tags?: string[];
  name?: string;
  contentType?: string;
  path?: string;
}

/** The file part as clients send it: `photo.png`, declared `image/png` unless overridden. */
export const imagePart = (value: Uint8Array, o: Partial<Part> = {}): Part => ({
  name: 'image',
  value,
  filename: 'photo.png',
  contentType: 'image/png',
  ...o,
});

/** The tags part as Python `requests` sends it: a JSON string with its own media type. */
export const tagsPart = (tags: string[]): Part => ({
  name: 'tags',
  value: JSON.stringify(tags),
  contentType: 'application/json',
});

/** Sends multipart parts to a path with the user's bearer token; returns the raw response. */
export function postParts(target: Target, path: string, parts: Part[], user: TestUser) {
  const { body, contentType } = multipart(parts);
  return target.fetch(path, { method: 'POST', headers: bearer(user, { 'content-type': contentType }), body });
}

/** Uploads like the original Python clients do; returns the raw response. */
export function uploadRaw(target: Target, user: TestUser, bytes: Uint8Array, o: UploadOptions = {}) {
  const parts = [imagePart(bytes, { filename: o.name ?? 'photo.png', contentType: o.contentType ?? 'image/png' })];
  if (o.tags) parts.push(tagsPart(o.tags));
  return postParts(target, o.path ?? '/api/v1/images', parts, user);
}

/** The v1 image as the OpenAPI document describes it. */
export type UploadedV1 = components['schemas']['Image'];

/** Uploads through v1 and fails loudly unless it was stored. */
export async function upload(target: Target, user: TestUser, bytes: Uint8Array, o: UploadOptions = {}) {
  const res = await uploadRaw(target, user, bytes, o);
  if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as UploadedV1;
}
