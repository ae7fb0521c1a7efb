import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, json, newUser, type TestUser, withCookie } from '../support/client';
import { bytesOf, getJson } from '../support/image-api';
import { png, sha256Hex } from '../support/images';
import type { Scenario } from '../support/scenarios';
import { fromNewAddress, type Target } from '../support/target';
import { multipart, type UploadedV1, upload } from '../support/upload';

/**
 * Generated hostile input over the whole published document: every operation, with random and
 * malformed path and query values, headers and bodies, authenticated as an attacker or not.
 * Every response must be below 500; the contract wrapper every target carries also holds it to
 * a status the document lists for the operation and a problem body for every error. Nothing
 * the attacker receives may carry the victim's data, and the victim's data must be intact after.
 *
 * Seeded and reproducible: the seed is printed; `HOSTILE_SEED=<n>` replays it, and
 * `HOSTILE_RUNS=<n>` changes the number of cases per runtime.
 */

const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
const RUNS = Number(env.HOSTILE_RUNS ?? 700);
const SEED = env.HOSTILE_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(env.HOSTILE_SEED);

interface Operation {
  method: string;
  template: string;
  query: string[];
}

interface Doc {
  paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
}

type Auth = 'bearer' | 'cookie' | 'none' | 'garbage-bearer' | 'basic' | 'both-disagree' | 'duplicate-cookie';

interface HostileRequest {
  op: Operation;
  params: string[];
  query: [string, string][];
  auth: Auth;
  contentType: string | null;
  body: 'none' | Uint8Array | string | { multipart: MultipartSpec };
  extra: [string, string][];
}

interface MultipartSpec {
  image: 'png' | 'random' | 'svg' | 'empty' | 'none' | 'truncated-png';
  tags: string | null;
  filename: string;
  partType: string;
  boundary: 'match' | 'other' | 'none';
  cut: number | null;
}

/** Segments that URL parsing itself rewrites (dot segments) never reach the server as values. */
const isDotSegment = (s: string) => /^(\.|%2e){1,2}$/i.test(s);

/** Percent-encodes any string, lone surrogates included (as the invalid UTF-8 a client might send). */
function encodeSegment(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return [...value]
      .map((ch) => {
        try {
          return encodeURIComponent(ch);
        } catch {
          return '%ED%A0%80';
        }
      })
      .join('');
  }
}

const hostileText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(
    '',
    '0',
    '-1',
    '1e3',
    '01',
    ' 1',
    '1.5',
    '99999999999999999999',
    '9007199254740993',
    'NaN',
    'null',
    '%00',
    '%ED%A0%80',
    '%FF%FE',
    'a%2Fb',
    '..%2F..%2Fetc%2Fpasswd',
    '<script>alert(1)</script>',
    '\u202egnp.exe',
    '\ud800',
    'a\udc00b',
    'tag\u0000nul',
    'line\nbreak',
    'x'.repeat(3000),
    '😀'.repeat(70),
    "' OR 1=1 --",
    '{"$gt":""}',
  ),
);

const hostileNumberish = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: false }).map(String),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String),
  fc.constantFrom('', '-0', '+1', '0x10', '1_000', 'Infinity', '2026-13-45', '2026-11-28T25:00:00Z', '1764288000'),
);

const hostileJson = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc.constantFrom(
    '',
    '{',
    '[',
    'null',
    '"str"',
    '[]',
    '{"email":null,"password":null}',
    '{"email":"a@b.co","password":12345678}',
    '{"email":"\\ud800@example.com","password":"long enough"}',
    '{"email":"x@example.com","password":"\\udfff long enough"}',
    '{"tags":["\\ud800"]}',
    '{"tags":[".",".."]}',
    '{"tags":"not-an-array"}',
    '{"tags":[1,2,3]}',
    `{"tags":${JSON.stringify(Array.from({ length: 60 }, (_, i) => `t${i}`))}}`,
    '{"__proto__":{"admin":true},"tags":["x"]}',
  ),
  fc.integer({ min: 100, max: 5000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.integer({ min: 100, max: 3000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
);

const invalidUtf8 = fc.constantFrom(
  Uint8Array.from([0xff, 0xfe, 0xfd]),
  Uint8Array.from([0x7b, 0x22, 0x74, 0x61, 0x67, 0x73, 0x22, 0x3a, 0x5b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x5d, 0x7d]),
  Uint8Array.from([0x74, 0x61, 0x67, 0x73, 0x3d, 0xc3, 0x28]),
);

const multipartSpec: fc.Arbitrary<MultipartSpec> = fc.record({
  image: fc.constantFrom('png', 'random', 'svg', 'empty', 'none', 'truncated-png'),
  tags: fc.option(
    fc.oneof(
      hostileText,
      hostileJson,
      fc.array(hostileText, { maxLength: 6 }).map((a) => JSON.stringify(a)),
    ),
    { nil: null },
  ),
  filename: fc.oneof(
    hostileText,
    fc.constantFrom('../../etc/passwd', 'C:\\boot.ini', 'a\u0000b.png', '.png', '', 'x'.repeat(600)),
  ),
  partType: fc.constantFrom('image/png', 'image/svg+xml', 'text/html', 'application/octet-stream', ''),
  boundary: fc.constantFrom('match', 'match', 'match', 'other', 'none'),
  cut: fc.option(fc.integer({ min: 0, max: 400 }), { nil: null }),
});

const CONTENT_TYPES = [
  null,
  'application/json',
  'application/x-www-form-urlencoded',
  'multipart/form-data',
  'multipart/form-data; boundary=',
  'text/plain',
  'application/json; charset=latin1',
  'application/json, multipart/form-data',
  'image/png',
  `application/${'x'.repeat(2000)}`,
];

function requestArb(ops: Operation[], ids: string[]): fc.Arbitrary<HostileRequest> {
  return fc
    .constantFrom(...ops)
    .chain((op) => {
      const paramCount = (op.template.match(/\{[^}]+\}/g) ?? []).length;
      const param = fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...ids) },
        { weight: 2, arbitrary: hostileNumberish },
        { weight: 2, arbitrary: hostileText },
      );
      return fc.record({
        op: fc.constant(op),
        params: fc.array(param, { minLength: paramCount, maxLength: paramCount }),
        query: fc.array(
          fc.tuple(
            fc.oneof(fc.constantFrom(...(op.query.length ? op.query : ['q'])), fc.constantFrom('junk', 'limit', 'tag')),
            fc.oneof(hostileText, hostileNumberish, fc.constantFrom(...ids)),
          ),
          { maxLength: 4 },
        ),
        auth: fc.constantFrom<Auth>(
          'bearer',
          'bearer',
          'bearer',
          'cookie',
          'none',
          'garbage-bearer',
          'basic',
          'both-disagree',
          'duplicate-cookie',
        ),
        contentType: fc.constantFrom(...CONTENT_TYPES),
        body: fc.oneof(
          { weight: 2, arbitrary: fc.constant<'none'>('none') },
          { weight: 2, arbitrary: hostileJson },
          { weight: 1, arbitrary: invalidUtf8 },
          {
            weight: 1,
            arbitrary: fc
              .array(fc.tuple(hostileText, hostileText), { maxLength: 4 })
              .map((pairs) => pairs.map(([k, v]) => `${encodeSegment(k)}=${encodeSegment(v)}`).join('&')),
          },
          { weight: 3, arbitrary: multipartSpec.map((m) => ({ multipart: m })) },
        ),
        extra: fc.array(
          fc.oneof(
            fc.constantFrom<[string, string]>(
              ['range', 'bytes=0-0'],
              ['range', 'bytes=-1'],
              ['range', 'bytes=5-2'],
              ['range', 'bytes=0-1,4-5'],
              ['range', 'bytes=99999999999999999999-'],
              ['range', 'pages=1'],
              ['if-none-match', '*'],
              ['if-none-match', 'W/"x", "y"'],
              ['if-range', '"nope"'],
              ['origin', 'https://evil.example'],
              ['sec-fetch-site', 'cross-site'],
              ['accept', 'image/avif,image/webp,*/*'],
              ['x-forwarded-proto', 'https'],
            ),
            fc.tuple(fc.constantFrom('range', 'if-none-match', 'accept'), fc.string({ maxLength: 30 })),
          ),
          { maxLength: 3 },
        ),
      });
    })
    .map((r) => r as HostileRequest);
}

/** Header values must be ByteStrings without CR/LF for any fetch implementation to send them. */
const headerSafe = (value: string) => /^[\t\x20-\x7e\x80-\xff]*$/.test(value);

const hostileInputScenario: Scenario = (target) => {
  let victim: TestUser;
  let attacker: TestUser;
  let victimImage: UploadedV1;
  let victimBytes: Uint8Array<ArrayBuffer>;
  let victimSha: string;
  let attackerImage: UploadedV1;
  let secrets: string[];
  let ops: Operation[];
  /** The attacker's own client address: its failed logins must not throttle other scenarios. */
  let attackerTarget: Target;
  let seen = 0;
  const statuses = new Map<number, number>();

  beforeAll(async () => {
    attackerTarget = fromNewAddress(target());
    victim = await newUser(target(), 'victim');
    attacker = await newUser(target(), 'attacker');
    // Pixels unique to this run, so the victim's bytes cannot be produced by anything else.
    victimBytes = await png(5 + Math.floor(Math.random() * 20), 7);
    const marker = crypto.randomUUID();
    victimImage = await upload(target(), victim, victimBytes, {
      tags: [`victim-tag-${marker}`],
      name: `victim-${marker}.png`,
    });
    victimSha = await sha256Hex(victimBytes);
    attackerImage = await upload(target(), attacker, await png(4, 4), { tags: ['mine'] });
    secrets = [marker, victim.email, victimSha, victim.token];

    const doc = (await (await target().fetch('/api/openapi.json')).json()) as Doc;
    ops = [];
    for (const [template, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!['get', 'post', 'put', 'delete', 'patch'].includes(method)) continue;
        // Logging the attacker out would only turn the rest of the run into 401s.
        if (/logout/.test(template) && method === 'post') continue;
        ops.push({
          method: method.toUpperCase(),
          template,
          query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        });
      }
    }
  });

  afterAll(() => {
    const summary = [...statuses.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`);
    console.log(`[hostile-input ${target().name}] seed=${SEED} cases=${seen} statuses ${summary.join(' ')}`);
  });

  const build = async (req: HostileRequest): Promise<{ path: string; init: RequestInit }> => {
    let i = 0;
    const path = req.op.template.replace(/\{[^}]+\}/g, () => {
      const raw = req.params[i++] ?? '1';
      const encoded = encodeSegment(raw);
      return encoded === '' || isDotSegment(encoded) ? 'x' : encoded;
    });
    const query = new URLSearchParams(req.query).toString();
    const headers: Record<string, string> = {};
    switch (req.auth) {
      case 'bearer':
        Object.assign(headers, bearer(attacker));
        break;
      case 'cookie':
        Object.assign(headers, withCookie(attacker));
        break;
      case 'garbage-bearer':
        headers.authorization = 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.';
        break;
      case 'basic':
        headers.authorization = 'Basic dXNlcjpwYXNz';
        break;
      case 'both-disagree':
        Object.assign(headers, bearer({ token: 'not-a-token' }), withCookie(attacker));
        break;
      case 'duplicate-cookie':
        headers.cookie = `auth_token=garbage; ${attacker.cookie}; auth_token=`;
        break;
      case 'none':
        break;
    }
    for (const [name, value] of req.extra) if (headerSafe(value)) headers[name] = value;
    let body: BodyInit | undefined;
    let contentType = req.contentType;
    if (req.body !== 'none' && req.op.method !== 'GET') {
      if (typeof req.body === 'string') body = req.body;
      else if (req.body instanceof Uint8Array) body = req.body;
      else {
        const m = req.body.multipart;
        const image =
          m.image === 'png'
            ? await png(2, 2)
            : m.image === 'truncated-png'
              ? (await png(8, 8)).slice(0, 40)
              : m.image === 'svg'
                ? new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>')
                : m.image === 'random'
                  ? crypto.getRandomValues(new Uint8Array(64))
                  : new Uint8Array(0);
        const parts = [];
        if (m.image !== 'none') {
          parts.push({
            name: 'image',
            value: image,
            filename: m.filename.replace(/["\r\n]/g, '_'),
            contentType: m.partType,
          });
        }
        if (m.tags !== null) parts.push({ name: 'tags', value: m.tags, contentType: 'application/json' });
        const built = multipart(parts);
        const bytes = m.cut === null ? built.body : built.body.slice(0, Math.min(m.cut, built.body.length));
        body = bytes;
        contentType =
          m.boundary === 'match'
            ? built.contentType
            : m.boundary === 'other'
              ? 'multipart/form-data; boundary=not-the-boundary'
              : 'multipart/form-data';
      }
    }
    if (contentType !== null) headers['content-type'] = contentType;
    else if (typeof body === 'string') body = new TextEncoder().encode(body); // no implicit text/plain
    return { path: query ? `${path}?${query}` : path, init: { method: req.op.method, headers, body } };
  };

  describe('generated hostile requests over every documented operation', () => {
    it(`never a 5xx or an undocumented answer, and never another user's data (seeded)`, async () => {
      await fc.assert(
        fc.asyncProperty(requestArb(ops, [String(victimImage.id), String(attackerImage.id)]), async (req) => {
          const { path, init } = await build(req);
          const bodyKind =
            init.body === undefined ? 'no body' : typeof init.body === 'string' ? 'text body' : 'byte body';
          const where = `${init.method} ${path.slice(0, 200)} headers=${JSON.stringify(init.headers).slice(0, 400)} ${bodyKind}`;
          let res: Response;
          try {
            res = await attackerTarget.fetch(path, init);
          } catch (err) {
            // The contract wrapper rejects an undocumented status, media type or body.
            throw new Error(`${where}: ${String(err).slice(0, 2000)}`);
          }
          seen++;
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const bytes = await bytesOf(res);
          expect(res.status, `${where} → ${res.status}: ${new TextDecoder().decode(bytes).slice(0, 300)}`).toBeLessThan(
            500,
          );
          const text = new TextDecoder().decode(bytes);
          for (const secret of secrets) expect(text.includes(secret), `${where} leaked victim data`).toBe(false);
          if (bytes.length === victimBytes.length) expect(await sha256Hex(bytes)).not.toBe(victimSha);
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
      expect(seen).toBeGreaterThanOrEqual(RUNS);
    }, 600_000);

    it("leaves the victim's image, tags and bytes exactly as they were", async () => {
      const meta = await getJson<UploadedV1>(target(), victim, `/api/v1/images/${victimImage.id}`);
      expect(meta.tags).toEqual(victimImage.tags);
      expect(meta.sha256).toBe(victimSha);
      const file = await target().fetch(`/api/v1/images/${victimImage.id}/file`, { headers: bearer(victim) });
      expect(file.status).toBe(200);
      expect(await bytesOf(file)).toEqual(victimBytes);
      // And the victim can still log in and is still who they were.
      const login = await target().fetch(
        '/api/v1/user/login',
        json({ email: victim.email, password: victim.password }),
      );
      expect(login.status).toBe(200);
    });
  });
};

export default hostileInputScenario;
