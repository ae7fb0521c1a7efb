// `npm run bench`: what one page of the image list costs with its tags folded into the same
// statement (the shipped query, src/db/list-page.ts, with its session check) against the obvious baseline, one tags
// query per image (N+1). Measured in the same run on a local libsql file, so the figures are
// ratios, not absolutes; on D1 each extra query is also a network round trip, so the gap there
// is wider than here.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asc, desc, eq } from 'drizzle-orm';
import { pageWithSession } from '../src/db/images/list-page';
import { openLibsql } from '../src/db/libsql';
import { images, imageTags, tags, users } from '../src/db/schema';

const IMAGES = 2_000;
const TAG_POOL = 20;
const TAGS_PER_IMAGE = 3;
const PAGE = 50;
const ROUNDS = 200;

const dir = mkdtempSync(join(tmpdir(), 'imageapi-bench-'));
const { db, close } = await openLibsql({ url: `file:${join(dir, 'bench.db')}` });

try {
  const [user] = await db.insert(users).values({ email: 'bench@example.com', passwordHash: 'x' }).returning();
  if (!user) throw new Error('no user');
  const tagRows = await db
    .insert(tags)
    .values(Array.from({ length: TAG_POOL }, (_, i) => ({ ownerId: user.id, name: `tag-${i}` })))
    .returning();
  for (let start = 0; start < IMAGES; start += 100) {
    const rows = await db
      .insert(images)
      .values(
        Array.from({ length: 100 }, (_, k) => ({
          ownerId: user.id,
          name: `img-${start + k}.png`,
          contentType: 'image/png',
          size: 1000,
          storageKey: `images/${crypto.randomUUID()}`,
          sha256: '0'.repeat(64),
          createdAt: 1_700_000_000_000 + (start + k) * 1000,
        })),
      )
      .returning({ id: images.id });
    await db.insert(imageTags).values(
      rows.flatMap((r, k) =>
        Array.from({ length: TAGS_PER_IMAGE }, (_, p) => ({
          imageId: r.id,
          tagId: tagRows[(start + k + p * 7) % TAG_POOL]?.id ?? 0,
          position: p,
        })),
      ),
    );
  }

  const session = { kind: 'token', userId: user.id, tokenVersion: user.tokenVersion } as const;
  const shipped = async () => (await pageWithSession(db, session, { tags: [], limit: PAGE })).items;

  const nPlusOne = async () => {
    const page = await db
      .select()
      .from(images)
      .where(eq(images.ownerId, user.id))
      .orderBy(desc(images.createdAt), desc(images.id))
      .limit(PAGE);
    return Promise.all(
      page.map(async (img) => ({
        ...img,
        tags: (
          await db
            .select({ name: tags.name })
            .from(imageTags)
            .innerJoin(tags, eq(tags.id, imageTags.tagId))
            .where(eq(imageTags.imageId, img.id))
            .orderBy(asc(imageTags.position))
        ).map((t) => t.name),
      })),
    );
  };

  // Same answer shape before timing anything.
  const [a, b] = [await shipped(), await nPlusOne()];
  const shape = (rows: { id: number; tags: string[] }[]) => JSON.stringify(rows.map((r) => [r.id, r.tags]));
  if (a.length !== PAGE || a.some((r) => r.tags.length !== TAGS_PER_IMAGE) || shape(a) !== shape(b)) {
    throw new Error('the two ways disagree on the page');
  }

  const samples = { shipped: [] as number[], nPlusOne: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    // Interleaved, so drift in machine load hits both alike.
    for (const [name, run] of [
      ['shipped', shipped],
      ['nPlusOne', nPlusOne],
    ] as const) {
      const t0 = performance.now();
      await run();
      samples[name].push(performance.now() - t0);
    }
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? Number.NaN;
  const ms = { shipped: median(samples.shipped), nPlusOne: median(samples.nPlusOne) };
  console.log(`list page of ${PAGE} with ${TAGS_PER_IMAGE} tags each, ${IMAGES} images, ${ROUNDS} rounds (median)`);
  console.log(`  baseline N+1 (${PAGE + 1} queries): ${ms.nPlusOne.toFixed(2)} ms`);
  console.log(`  shipped (1 statement):       ${ms.shipped.toFixed(2)} ms`);
  console.log(`  shipped / baseline:          ${(ms.shipped / ms.nPlusOne).toFixed(3)}`);
} finally {
  close();
  rmSync(dir, { recursive: true, force: true });
}
