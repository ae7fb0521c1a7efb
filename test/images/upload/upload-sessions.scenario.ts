import { beforeAll, describe, expect, it } from 'vitest';
import { operator, setQuota } from '../../support/admin';
import { bearer, json, newUser, problem, type TestUser } from '../../support/client';
import { bytesOf, v1Ids } from '../../support/image-api';
import { bigImage, png, sha256Hex } from '../../support/images';
import type { Scenario } from '../../support/scenarios';
import { storedKeysOf } from '../../support/target';

interface PartTarget {
  number: number;
  size: number;
  url: string;
  method: 'PUT';
  headers: Record<string, string>;
}
interface UploadSession {
  id: string;
  state: string;
  part_size: number;
  part_count: number;
  expires_at: string;
  parts: PartTarget[];
  received: { number: number; size: number }[];
  image_id: number | null;
  refusal: string | null;
}
interface V1Image {
  id: number;
  size: number;
  sha256: string;
  content_type: string;
  width: number | null;
  height: number | null;
  tags: string[];
}

/**
 * Upload sessions (`/api/v1/uploads`): a file declared, sent in parts with per-part URLs (here
 * the app's own: directory store and R2 binding), completed into an image only after the stored
 * bytes were judged. Part sizes follow what the server says (`part_size`: the store's minimum on
 * R2, a small setting on Node and Bun), so the same tests cut differently on each runtime.
 */
const uploadSessions: Scenario = (target) => {
  let user: TestUser;
  let other: TestUser;
  let admin: TestUser;

  beforeAll(async () => {
    [user, other, admin] = await Promise.all([
      newUser(target(), 'sessions'),
      newUser(target(), 'sessions-other'),
      operator(target()),
    ]);
  });

  const create = (who: TestUser, body: Record<string, unknown>) =>
    target().fetch('/api/v1/uploads', json(body, { method: 'POST', headers: bearer(who) }));

  async function begin(who: TestUser, bytes: Uint8Array<ArrayBuffer>, extra: Record<string, unknown> = {}) {
    const res = await create(who, { file_name: 'big.png', content_type: 'image/png', size: bytes.length, ...extra });
    expect(res.status).toBe(201);
    return (await res.json()) as UploadSession;
  }

  /** What the session says to send for part `n`, cut from `bytes`. */
  const slice = (s: UploadSession, bytes: Uint8Array<ArrayBuffer>, n: number) =>
    bytes.slice((n - 1) * s.part_size, Math.min(n * s.part_size, bytes.length));

  const partOf = (s: UploadSession, n: number) => {
    const part = s.parts.find((p) => p.number === n);
    if (!part) throw new Error(`no URL for part ${n}`);
    return part;
  };

  /** The part as a client sends it: the URL and headers only, no credential of the user. */
  const send = (part: PartTarget, body: BodyInit, headers: Record<string, string> = {}) => {
    if (!presigned(part)) {
      return target().fetch(part.url, { method: part.method, headers: { ...part.headers, ...headers }, body });
    }
    // Straight to the bucket, as a client would: fetch sets Content-Length from the body itself.
    const { 'Content-Length': _length, ...rest } = part.headers;
    return fetch(part.url, { method: part.method, headers: { ...rest, ...headers }, body });
  };

  /** A body sent chunked, with no Content-Length: only its end says how long it was. */
  const streamed = (bytes: Uint8Array) =>
    ({
      body: new ReadableStream<Uint8Array>({
        start(controller) {
          for (let at = 0; at < bytes.length; at += 64 * 1024) controller.enqueue(bytes.slice(at, at + 64 * 1024));
          controller.close();
        },
      }),
      duplex: 'half',
    }) as RequestInit;

  const sendAll = async (s: UploadSession, bytes: Uint8Array<ArrayBuffer>, order?: number[]) => {
    for (const n of order ?? s.parts.map((p) => p.number)) {
      const part = partOf(s, n);
      const res = await send(part, slice(s, bytes, n));
      expect(res.status).toBe(200);
      // The bucket answers a presigned part in its own words (S3's empty 200 with an ETag).
      if (presigned(part)) await res.body?.cancel();
      else expect(await res.json()).toEqual({ number: n, size: slice(s, bytes, n).length });
    }
  };

  const complete = (who: TestUser, id: string) =>
    target().fetch(`/api/v1/uploads/${id}/complete`, { method: 'POST', headers: bearer(who) });
  const status = async (who: TestUser, id: string) => {
    const res = await target().fetch(`/api/v1/uploads/${id}`, { headers: bearer(who) });
    expect(res.status).toBe(200);
    return (await res.json()) as UploadSession;
  };

  async function expectStored(image: V1Image, bytes: Uint8Array<ArrayBuffer>) {
    expect(image.size).toBe(bytes.length);
    expect(image.sha256).toBe(await sha256Hex(bytes));
    const file = await target().fetch(`/api/v1/images/${image.id}/file`, { headers: bearer(user) });
    expect(file.status).toBe(200);
    expect(await sha256Hex(await bytesOf(file))).toBe(image.sha256);
  }

  /** Keys the store gained since `before`, staging files of multipart uploads included. */
  const newKeys = async (before: Set<string>) => [...(await storedKeysOf(target()))].filter((k) => !before.has(k));

  /** A part URL the store signed (the S3 store): the client sends it to the bucket, not the app. */
  const presigned = (part: PartTarget) => /^https?:\/\//.test(part.url);

  describe('one part', () => {
    it('stores a small image sent to its one part URL, with tags, and answers the v1 image', async () => {
      const bytes = await png(9, 5);
      const before = await storedKeysOf(target());
      const res = await create(user, {
        file_name: 'dot.png',
        content_type: 'image/png',
        size: bytes.length,
        sha256: await sha256Hex(bytes),
        tags: ['holiday', ' sea '],
      });
      expect(res.status).toBe(201);
      const s = (await res.json()) as UploadSession;
      expect(res.headers.get('location')).toBe(`/api/v1/uploads/${s.id}`);
      expect(s).toMatchObject({ state: 'open', part_count: 1, received: [], image_id: null });
      expect(s.parts).toEqual([
        {
          number: 1,
          size: bytes.length,
          // The app's own URL with a part token, or (S3 store) the bucket's, presigned.
          url: expect.stringMatching(/\?token=|X-Amz-Signature=/),
          method: 'PUT',
          headers: expect.any(Object),
        },
      ]);
      expect(Date.parse(s.expires_at)).toBeGreaterThan(Date.now());
      await sendAll(s, bytes);
      expect((await status(user, s.id)).received).toEqual([
        { number: 1, size: bytes.length, received_at: expect.any(String) },
      ]);
      const done = await complete(user, s.id);
      expect(done.status).toBe(201);
      const image = (await done.json()) as V1Image;
      expect(done.headers.get('location')).toBe(`/api/v1/images/${image.id}`);
      expect(image).toMatchObject({ name: 'dot.png', content_type: 'image/png', width: 9, height: 5 });
      expect(image.tags).toEqual(['holiday', 'sea']);
      await expectStored(image, bytes);
      expect(await status(user, s.id)).toMatchObject({ state: 'completed', image_id: image.id, parts: [] });
      // The image's bytes, and nothing else: no staging file stays behind.
      expect(await newKeys(before)).toHaveLength(1);
    });
  });

  describe('several parts', () => {
    it('assembles parts sent in any order into the bytes declared', async () => {
      const probe = await begin(user, await png(1, 1));
      const bytes = bigImage(probe.part_size * 2 + 1234, { seed: 7 });
      const s = await begin(user, bytes, { sha256: await sha256Hex(bytes) });
      expect(s.part_count).toBe(3);
      expect(s.parts.map((p) => p.size)).toEqual([s.part_size, s.part_size, 1234]);
      await sendAll(s, bytes, [3, 1, 2]);
      const done = await complete(user, s.id);
      expect(done.status).toBe(201);
      await expectStored((await done.json()) as V1Image, bytes);
    }, 60_000);

    it('keeps nothing of a part cut off, refuses a wrong length, and takes the part again', async () => {
      const probe = await begin(user, await png(1, 1));
      const bytes = bigImage(probe.part_size + 100, { seed: 8 });
      const s = await begin(user, bytes);
      if (presigned(partOf(s, 1))) return resumedAtTheBucket(s, bytes);
      const first = slice(s, bytes, 1);
      const cut = await target().fetch(partOf(s, 1).url, {
        method: 'PUT',
        headers: partOf(s, 1).headers,
        ...streamed(first.subarray(0, first.length - 10)),
      });
      expect(cut.status).toBe(400);
      expect((await problem(cut)).detail).toMatch(/ended after/);
      const long = await target().fetch(partOf(s, 2).url, {
        method: 'PUT',
        headers: partOf(s, 2).headers,
        ...streamed(bigImage(200, { seed: 9 })),
      });
      expect(long.status).toBe(413);
      const declaredShort = await send(partOf(s, 2), slice(s, bytes, 2).subarray(0, 50));
      expect(declaredShort.status).toBe(400);
      const resumed = await status(user, s.id);
      expect(resumed.received).toEqual([]);
      expect(resumed.parts.map((p) => p.number)).toEqual([1, 2]);
      const missing = await complete(user, s.id);
      expect(missing.status).toBe(409);
      expect((await problem(missing)).detail).toMatch(/Parts not received yet: 1, 2/);
      // Resumed from the fresh URLs GET handed out; the session is still open after the 409.
      await sendAll(resumed, bytes, [2]);
      expect((await status(user, s.id)).parts.map((p) => p.number)).toEqual([1]);
      await sendAll(resumed, bytes, [1]);
      const done = await complete(user, s.id);
      expect(done.status).toBe(201);
      await expectStored((await done.json()) as V1Image, bytes);
    }, 60_000);
  });

  /**
   * Presigned parts: the bucket took them, so the store says what arrived. A part of the wrong
   * length counts as missing (whether or not the bucket checked the signed length), and the
   * upload resumes from the URLs the session hands out again.
   */
  async function resumedAtTheBucket(s: UploadSession, bytes: Uint8Array<ArrayBuffer>) {
    await sendAll(s, bytes, [2]);
    const half = await status(user, s.id);
    expect(half.received.map((p) => p.number)).toEqual([2]);
    expect(half.parts.map((p) => p.number)).toEqual([1]);
    const missing = await complete(user, s.id);
    expect(missing.status).toBe(409);
    expect((await problem(missing)).detail).toMatch(/Parts not received yet: 1\b/);
    const short = await send(partOf(half, 1), slice(s, bytes, 1).subarray(0, 1000)).catch(() => undefined);
    await short?.body?.cancel();
    expect((await status(user, s.id)).parts.map((p) => p.number)).toEqual([1]);
    await sendAll(half, bytes, [1]);
    const done = await complete(user, s.id);
    expect(done.status).toBe(201);
    await expectStored((await done.json()) as V1Image, bytes);
  }

  describe('part tokens', () => {
    it('open exactly one part of one session, and nothing else', async () => {
      const probe = await begin(user, await png(1, 1));
      const bytes = bigImage(probe.part_size + 10, { seed: 10 });
      const s = await begin(user, bytes);
      // A presigned part carries the store's signature, not an app token: the bucket checks it
      // (moto, the S3 server the tests use, does not verify signatures, so there is nothing here to see).
      if (presigned(partOf(s, 1))) return;
      const token = new URL(partOf(s, 1).url, 'http://x').searchParams.get('token') ?? '';
      const elsewhere = [
        `/api/v1/uploads/${s.id}/parts/2?token=${token}`,
        `/api/v1/uploads/${probe.id}/parts/1?token=${token}`,
        `/api/v1/uploads/${s.id}/parts/1?token=${token.slice(0, -2)}AA`,
        `/api/v1/uploads/${s.id}/parts/1?token=${Number(token.split('.')[0]) + 1}.${token.split('.')[1]}`,
      ];
      for (const url of elsewhere) {
        const res = await target().fetch(url, { method: 'PUT', body: slice(s, bytes, url.includes('/2?') ? 2 : 1) });
        expect([403, 400]).toContain(res.status);
      }
      const wrongPart = await target().fetch(elsewhere[0] as string, { method: 'PUT', body: slice(s, bytes, 2) });
      expect(wrongPart.status).toBe(403);
      const noToken = await target().fetch(`/api/v1/uploads/${s.id}/parts/1`, {
        method: 'PUT',
        body: slice(s, bytes, 1),
      });
      expect(noToken.status).toBe(400);
      expect((await status(user, s.id)).received).toEqual([]);
    }, 60_000);
  });

  describe('completion judges the stored bytes', () => {
    it('refuses a hash that differs from the declared one with 422, and removes the bytes', async () => {
      const bytes = await png(4, 4);
      const before = await storedKeysOf(target());
      const s = await begin(user, bytes, { sha256: 'ab'.repeat(32) });
      await sendAll(s, bytes);
      const res = await complete(user, s.id);
      expect(res.status).toBe(422);
      expect((await problem(res)).detail).toMatch(/SHA-256/);
      expect(await newKeys(before)).toEqual([]);
      expect(await status(user, s.id)).toMatchObject({ state: 'refused', refusal: expect.stringMatching(/SHA-256/) });
      const again = await complete(user, s.id);
      expect(again.status).toBe(409);
    });

    it('refuses bytes that are no supported image with 415, whatever was declared', async () => {
      const bytes = new TextEncoder().encode(
        '<svg xmlns="http://www.w3.org/2000/svg"></svg>',
      ) as Uint8Array<ArrayBuffer>;
      const before = await storedKeysOf(target());
      const s = await begin(user, bytes);
      await sendAll(s, bytes);
      const res = await complete(user, s.id);
      expect(res.status).toBe(415);
      expect(await newKeys(before)).toEqual([]);
    });

    it('refuses at completion what the quota no longer has room for (413), and removes the bytes', async () => {
      const who = await newUser(target(), 'sessions-quota');
      const bytes = await png(6, 6);
      const before = await storedKeysOf(target());
      const s = await begin(who, bytes);
      await sendAll(s, bytes);
      await setQuota(target(), admin, who.id, { max_bytes: bytes.length - 1 });
      const res = await complete(who, s.id);
      expect(res.status).toBe(413);
      expect(((await problem(res)) as { quota?: unknown }).quota).toMatchObject({
        limit: 'bytes',
        max: bytes.length - 1,
      });
      expect(await newKeys(before)).toEqual([]);
      expect(await v1Ids(target(), who)).toEqual([]);
    });

    it('counts the sizes open sessions declared against the quota, until they are aborted', async () => {
      const who = await newUser(target(), 'sessions-pending');
      await setQuota(target(), admin, who.id, { max_bytes: 1000 });
      const decl = { file_name: 'a.png', content_type: 'image/png', size: 600 };
      const first = await create(who, decl);
      expect(first.status).toBe(201);
      const second = await create(who, decl);
      expect(second.status).toBe(413);
      expect(((await problem(second)) as { quota?: unknown }).quota).toMatchObject({ used: 0, requested: 1200 });
      const { id } = (await first.json()) as UploadSession;
      expect((await target().fetch(`/api/v1/uploads/${id}`, { method: 'DELETE', headers: bearer(who) })).status).toBe(
        204,
      );
      expect((await create(who, decl)).status).toBe(201);
    });

    it('refuses at the start a declared size over the quota, the session limit, or an unaccepted type', async () => {
      const who = await newUser(target(), 'sessions-refused');
      await setQuota(target(), admin, who.id, { max_bytes: 1000 });
      const over = await create(who, { file_name: 'a.png', content_type: 'image/png', size: 1001 });
      expect(over.status).toBe(413);
      expect(((await problem(over)) as { quota?: unknown }).quota).toMatchObject({ limit: 'bytes', max: 1000 });
      const huge = await create(user, { file_name: 'a.png', content_type: 'image/png', size: 2 ** 50 });
      expect(huge.status).toBe(413);
      const svg = await create(user, { file_name: 'a.svg', content_type: 'image/svg+xml', size: 10 });
      expect(svg.status).toBe(415);
      const bad = await create(user, { file_name: 'a.png', content_type: 'image/png', size: 0, sha256: 'xyz' });
      expect(bad.status).toBe(400);
    });
  });

  describe('completing', () => {
    it('twice, or racing, makes one image: 201 once, 200 with the same image after', async () => {
      const bytes = await png(3, 8);
      const s = await begin(user, bytes);
      await sendAll(s, bytes);
      const answers = await Promise.all([1, 2, 3].map(() => complete(user, s.id)));
      const statuses = answers.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 200, 201]);
      const ids = new Set(await Promise.all(answers.map(async (r) => ((await r.json()) as V1Image).id)));
      expect(ids.size).toBe(1);
      const again = await complete(user, s.id);
      expect(again.status).toBe(200);
      expect(((await again.json()) as V1Image).id).toBe([...ids][0]);
    });
  });

  describe('duplicates', () => {
    it('on_duplicate=reject refuses bytes the user has as an image (409 naming it); return answers it (200)', async () => {
      const bytes = await png(13, 7);
      const first = await begin(user, bytes);
      await sendAll(first, bytes);
      const made = await complete(user, first.id);
      expect(made.status).toBe(201);
      const original = (await made.json()) as V1Image;
      const before = await storedKeysOf(target());

      const again = await begin(user, bytes);
      await sendAll(again, bytes);
      const rejected = await target().fetch(`/api/v1/uploads/${again.id}/complete?on_duplicate=reject`, {
        method: 'POST',
        headers: bearer(user),
      });
      expect(rejected.status).toBe(409);
      expect(await problem(rejected)).toMatchObject({ existing_image: { id: original.id } });
      expect(await status(user, again.id)).toMatchObject({ state: 'refused' });

      const returned = await begin(user, bytes);
      await sendAll(returned, bytes);
      const answer = () =>
        target().fetch(`/api/v1/uploads/${returned.id}/complete?on_duplicate=return`, {
          method: 'POST',
          headers: bearer(user),
        });
      const same = await answer();
      expect(same.status).toBe(200);
      expect(((await same.json()) as V1Image).id).toBe(original.id);
      const repeated = await answer();
      expect(repeated.status).toBe(200);
      expect(((await repeated.json()) as V1Image).id).toBe(original.id);
      expect(await status(user, returned.id)).toMatchObject({ state: 'completed', image_id: original.id });
      // Neither copy stayed in the store.
      expect(await newKeys(before)).toEqual([]);

      // Only the user's own images count: the other user's same bytes make a new image.
      const theirs = await begin(other, bytes);
      await sendAll(theirs, bytes);
      const made2 = await target().fetch(`/api/v1/uploads/${theirs.id}/complete?on_duplicate=reject`, {
        method: 'POST',
        headers: bearer(other),
      });
      expect(made2.status).toBe(201);
      expect(((await made2.json()) as V1Image).id).not.toBe(original.id);
    }, 60_000);
  });

  describe('ownership and abort', () => {
    it('answers another user’s session id with 404, whatever is asked', async () => {
      const bytes = await png(2, 2);
      const s = await begin(user, bytes);
      const theirs = (path: string, method: string) =>
        target().fetch(`/api/v1/uploads/${s.id}${path}`, { method, headers: bearer(other) });
      expect((await theirs('', 'GET')).status).toBe(404);
      expect((await theirs('/complete', 'POST')).status).toBe(404);
      expect((await theirs('', 'DELETE')).status).toBe(404);
      // Still the owner's, untouched.
      expect((await status(user, s.id)).state).toBe('open');
    });

    it('aborts: the parts go, and the session is gone', async () => {
      const probe = await begin(user, await png(1, 1));
      const bytes = bigImage(probe.part_size + 10, { seed: 11 });
      const before = await storedKeysOf(target());
      const s = await begin(user, bytes);
      await sendAll(s, bytes, [1]);
      const aborted = await target().fetch(`/api/v1/uploads/${s.id}`, { method: 'DELETE', headers: bearer(user) });
      expect(aborted.status).toBe(204);
      expect((await target().fetch(`/api/v1/uploads/${s.id}`, { headers: bearer(user) })).status).toBe(404);
      const late = await send(partOf(s, 2), slice(s, bytes, 2));
      await late.body?.cancel();
      // The app answers 404; a bucket refuses a part of an aborted upload in its own way
      // (S3 404 NoSuchUpload, moto 500): either way nothing is taken.
      if (presigned(partOf(s, 2))) expect(late.ok).toBe(false);
      else expect(late.status).toBe(404);
      expect(await newKeys(before)).toEqual([]);
    }, 60_000);
  });
};

export default uploadSessions;
