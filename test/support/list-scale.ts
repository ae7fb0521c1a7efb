/** The checks the legacy list of a user seeded by list-seed.ts must pass. */
import { expect } from 'vitest';
import type { UploadedLegacy } from './image-api';
import { PER_INSTANT, SCALE_IMAGES, SEED_EPOCH_MS } from './list-seed';

export { SCALE_IMAGES, SEED_EPOCH_MS, seedImagesSql } from './list-seed';

/** What the seeded image number `i` (0 = oldest) looks like on the legacy list. */
function seeded(i: number): Omit<UploadedLegacy, 'img_id' | 'tags'> {
  return {
    name: `img-${i}.png`,
    size: 1000 + i,
    content_type: 'image/png',
    created_at: (SEED_EPOCH_MS + Math.floor(i / PER_INSTANT) * 1000) / 1000,
    sha256: i.toString(16).padStart(64, '0'),
    width: 1 + (i % 7),
    height: 1 + (i % 5),
  };
}

/** The legacy list of a user seeded by seedImagesSql: complete, unique, newest first. */
export function expectCompleteList(text: string, count = SCALE_IMAGES): UploadedLegacy[] {
  const list = JSON.parse(text) as UploadedLegacy[];
  expect(list).toHaveLength(count);
  const ids = list.map((i) => i.img_id);
  expect(new Set(ids).size).toBe(count);
  // Newest first: created_at never increases; within one instant the higher id comes first.
  for (let k = 1; k < list.length; k++) {
    const [a, b] = [list[k - 1] as UploadedLegacy, list[k] as UploadedLegacy];
    if (!(a.created_at > b.created_at || (a.created_at === b.created_at && a.img_id > b.img_id))) {
      throw new Error(`out of order at ${k}: ${JSON.stringify(a)} then ${JSON.stringify(b)}`);
    }
  }
  const first = list[0] as UploadedLegacy;
  const last = list.at(-1) as UploadedLegacy;
  expect(first).toEqual({
    ...seeded(count - 1),
    img_id: first.img_id,
    tags: ['all', first.img_id % 2 ? 'odd' : 'even'],
  });
  expect(last).toEqual({ ...seeded(0), img_id: last.img_id, tags: ['all', last.img_id % 2 ? 'odd' : 'even'] });
  expect(first.img_id - last.img_id).toBe(count - 1);
  return list;
}
