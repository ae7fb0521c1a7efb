import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, newUser, problem, type TestUser } from '../support/client';
import { png } from '../support/images';
import type { Scenario } from '../support/scenarios';
import { fromNewAddress, storedKeysOf, type Target } from '../support/target';
import { multipart } from '../support/upload';

// Request bodies are read by one reader (src/http/body.ts): media type refused unread, the caller
// proven before a byte is read, bytes counted as they arrive (chunked included), and a stalling
// or trickling client cut off. The servers under test take BODY_IDLE_SECONDS=5 and 8 concurrent
// uploads per user, 16 per address (the defaults).

const IDLE_SECONDS = 5;
const enc = new TextEncoder();

/** A body that never ends: `head`, then chunks of filler for as long as it is pulled. */
function endlessBody(head: Uint8Array = new Uint8Array(0), filler = 0x61) {
  let pulled = 0;
  const chunk = new Uint8Array(64 * 1024).fill(filler);
  let sentHead = false;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const next = sentHead ? chunk.slice() : head;
        sentHead = true;
        pulled += next.byteLength;
        controller.enqueue(next);
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => pulled };
}

/** A body that sends `head`, then waits until `release()` to send `tail` and end (or never). */
function heldBody(head: Uint8Array, tail: Uint8Array) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const stream = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(head);
      await released;
      controller.enqueue(tail);
      controller.close();
    },
  });
  return { stream, release };
}

/** A body that sends one byte every `everyMs`, `count` times. */
function tricklingBody(head: Uint8Array, everyMs: number, count: number) {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent === 0) controller.enqueue(head);
      else await new Promise((r) => setTimeout(r, everyMs));
      if (sent++ >= count) controller.close();
      else controller.enqueue(Uint8Array.of(0x61));
    },
  });
}

const streamed = (init: RequestInit & { body: ReadableStream<Uint8Array> }): RequestInit =>
  ({ ...init, duplex: 'half' }) as RequestInit;

/** A key of the shape this server issues, for user `id`, that was never issued. */
const forgedKey = (id: number) => `iak_${id}_aaaaaaaa_${'A'.repeat(43)}`;

/** An upload body split where the image's bytes begin: what to send first, and the rest. */
async function splitUpload(): Promise<{ head: Uint8Array; tail: Uint8Array; contentType: string }> {
  const image = await png(8, 8);
  const { body, contentType } = multipart([
    { name: 'image', value: image, filename: 'held.png', contentType: 'image/png' },
  ]);
  const at = body.length - image.length - 40;
  return { head: body.slice(0, at), tail: body.slice(at), contentType };
}

const bodyBounds: Scenario = (target) => {
  let owner: TestUser;

  beforeAll(async () => {
    owner = await newUser(target(), 'bodies');
  });

  describe('a body is read only once the caller is proven', () => {
    const uploads = ['/api/v1/images', '/api/images'];

    it.each(uploads)(
      'refuses a forged API key on %s with 401 before reading a chunked multipart body',
      async (path) => {
        const body = endlessBody(
          enc.encode('--b\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n\r\n'),
        );
        const res = await target().fetch(
          path,
          streamed({
            method: 'POST',
            headers: {
              authorization: `Bearer ${forgedKey(owner.id)}`,
              'content-type': 'multipart/form-data; boundary=b',
            },
            body: body.stream,
          }),
        );
        expect(res.status).toBe(401);
        expect((await problem(res)).detail).toMatch(/API key/);
      },
    );

    it.each(uploads)('refuses a urlencoded or boundary-less body on %s unread, whoever sends it', async (path) => {
      for (const [type, status] of [
        ['application/x-www-form-urlencoded', 415],
        ['multipart/form-data', 400],
        ['application/octet-stream', 415],
      ] as const) {
        const body = endlessBody(enc.encode('image='));
        const res = await target().fetch(
          path,
          streamed({
            method: 'POST',
            headers: { authorization: `Bearer ${forgedKey(owner.id)}`, 'content-type': type },
            body: body.stream,
          }),
        );
        expect(res.status, type).toBe(status);
        expect((await problem(res)).status).toBe(status);
      }
    });

    it('refuses a forged key before reading a JSON body, and a revoked session before reading an upload', async () => {
      const image = await uploadOne(target(), owner);
      const forged = await target().fetch(
        `/api/v1/images/${image}/tags`,
        streamed({
          method: 'PUT',
          headers: { authorization: `Bearer ${forgedKey(owner.id)}`, 'content-type': 'application/json' },
          body: endlessBody(enc.encode('{"tags":["'), 0x62).stream,
        }),
      );
      expect(forged.status).toBe(401);
      const gone = await newUser(target(), 'bodies-revoked');
      expect((await target().fetch('/api/v1/user/logout', { method: 'POST', headers: bearer(gone) })).status).toBe(204);
      const revoked = await target().fetch(
        '/api/v1/images',
        streamed({
          method: 'POST',
          headers: bearer(gone, { 'content-type': 'multipart/form-data; boundary=b' }),
          body: endlessBody(enc.encode('--b\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n\r\n'))
            .stream,
        }),
      );
      expect(revoked.status).toBe(401);
    });
  });

  describe('bytes are counted as they arrive', () => {
    it('refuses a chunked JSON body past the small-body limit with 413', async () => {
      const res = await target().fetch(
        '/api/v1/user/login',
        streamed({ method: 'POST', headers: { 'content-type': 'application/json' }, body: endlessBody().stream }),
      );
      expect(res.status).toBe(413);
    });

    it('refuses a chunked upload past MAX_UPLOAD_BYTES with 413 and stores nothing', async () => {
      const before = await storedKeysOf(target());
      const head = enc.encode(
        '--b\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n',
      );
      const png8 = await png(8, 8);
      const start = new Uint8Array(head.length + png8.length);
      start.set(head);
      start.set(png8, head.length);
      const res = await target().fetch(
        '/api/v1/images',
        streamed({
          method: 'POST',
          headers: bearer(owner, { 'content-type': 'multipart/form-data; boundary=b' }),
          body: endlessBody(start).stream,
        }),
      );
      expect(res.status).toBe(413);
      expect(await storedKeysOf(target())).toEqual(before);
    });
  });

  describe('uploads in flight', () => {
    it('lets one user have 8 at once: the 9th is refused with 429 and Retry-After, and ends free the slots', async () => {
      const user = await newUser(target(), 'bodies-slots');
      const { head, tail, contentType } = await splitUpload();
      // Uploads that hold their slot until released, each from its own address so only the
      // per-user cap can refuse, launched one after another until one is refused at once.
      const held: ReturnType<typeof heldBody>[] = [];
      const answers: Promise<Response>[] = [];
      let refused: Response | undefined;
      for (let i = 0; i < 20 && !refused; i++) {
        const body = heldBody(head, tail);
        const answer = fromNewAddress(target()).fetch(
          '/api/v1/images',
          streamed({ method: 'POST', headers: bearer(user, { 'content-type': contentType }), body: body.stream }),
        );
        held.push(body);
        answers.push(answer);
        const quick = await Promise.race([answer, new Promise<undefined>((r) => setTimeout(r, 150))]);
        if (quick?.status === 429) refused = quick;
      }
      if (!refused) throw new Error('20 held uploads and none was refused');
      expect(refused.headers.get('retry-after')).toBe('1');
      expect((await problem(refused)).detail).toMatch(/at most 8/);
      for (const body of held) body.release();
      const statuses = (await Promise.all(answers)).map((r) => r.status);
      // Exactly the cap was stored; every other one was refused, none lost.
      expect(statuses.filter((s) => s === 201)).toHaveLength(8);
      expect(statuses.filter((s) => s !== 201).every((s) => s === 429)).toBe(true);
      // The slots are free again.
      const after = await fromNewAddress(target()).fetch(
        '/api/v1/images',
        streamed({
          method: 'POST',
          headers: bearer(user, { 'content-type': contentType }),
          body: heldAndReleased(head, tail),
        }),
      );
      expect(after.status).toBe(201);
    });
  });

  describe('usage counts only callers whose credentials were proven', () => {
    type Usage = { totals: { requests_by_operation: Record<string, number> } };
    const listCount = async (user: TestUser) => {
      const res = await target().fetch('/api/v1/user/usage', { headers: bearer(user) });
      expect(res.status).toBe(200);
      return ((await res.json()) as Usage).totals.requests_by_operation;
    };

    it('does not count refusals made with a forged key for the user it names, and counts the user’s own', async () => {
      const user = await newUser(target(), 'bodies-usage');
      const forged = { authorization: `Bearer ${forgedKey(user.id)}` };
      expect((await target().fetch('/api/v1/images?limit=9999', { headers: forged })).status).toBe(400);
      expect(
        (
          await target().fetch('/api/v1/images/1/tags', {
            method: 'PUT',
            headers: { ...forged, 'content-type': 'text/plain' },
            body: 'x',
          })
        ).status,
      ).toBe(415);
      expect((await target().fetch('/api/v1/user/keys', { method: 'POST', headers: forged })).status).toBe(403);
      // The user's own refused request is counted, once its token is proven after the answer.
      expect((await target().fetch('/api/v1/images?limit=9999', { headers: bearer(user) })).status).toBe(400);
      let counts: Record<string, number> = {};
      for (let i = 0; i < 50 && counts.listImages !== 1; i++) {
        counts = await listCount(user);
        if (counts.listImages !== 1) await new Promise((r) => setTimeout(r, 100));
      }
      expect(counts.listImages).toBe(1);
      expect(counts.replaceImageTags).toBeUndefined();
      expect(counts.createApiKey).toBeUndefined();
    });
  });

  describe('slow clients', () => {
    it(`cuts off a body that stalls for ${IDLE_SECONDS} s with 408 and stores nothing`, async () => {
      const before = await storedKeysOf(target());
      const { head, tail, contentType } = await splitUpload();
      const body = heldBody(head, tail);
      const started = Date.now();
      const res = await target().fetch(
        '/api/v1/images',
        streamed({ method: 'POST', headers: bearer(owner, { 'content-type': contentType }), body: body.stream }),
      );
      body.release();
      expect(res.status).toBe(408);
      expect(Date.now() - started).toBeLessThan((IDLE_SECONDS + 10) * 1000);
      expect(await storedKeysOf(target())).toEqual(before);
    });

    it('cuts off a body that trickles a byte at a time with 408', async () => {
      const { head, contentType } = await splitUpload();
      const res = await target().fetch(
        '/api/v1/images',
        streamed({
          method: 'POST',
          headers: bearer(owner, { 'content-type': contentType }),
          // 1 byte every 0.5 s: never idle for 5 s, far under 1 KiB/s.
          body: tricklingBody(head, 500, 60),
        }),
      );
      expect(res.status).toBe(408);
      expect((await problem(res)).detail).toMatch(/too slowly/);
    });
  });
};

/** A held body released at once: sent in two pieces. */
function heldAndReleased(head: Uint8Array, tail: Uint8Array): ReadableStream<Uint8Array> {
  const body = heldBody(head, tail);
  body.release();
  return body.stream;
}

async function uploadOne(target: Target, user: TestUser): Promise<number> {
  const { body, contentType } = multipart([
    { name: 'image', value: await png(4, 4), filename: 'a.png', contentType: 'image/png' },
  ]);
  const res = await target.fetch('/api/v1/images', {
    method: 'POST',
    headers: bearer(user, { 'content-type': contentType }),
    body,
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: number }).id;
}

export default bodyBounds;
