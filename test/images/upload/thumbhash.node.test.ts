import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config';
import type { Logger } from '../../../src/lib/logger';
import { computeThumbhash, THUMBHASH_SIDE, thumbhashPlan } from '../../../src/services/thumbhash';
import { fsStore } from '../../../src/storage/fs/fs-store';
import { sharpTransformer } from '../../../src/transform/sharp';
import { EngineBusy, type ImageTransformer, TRANSFORMABLE_TYPES } from '../../../src/transform/transformer';
import { png } from '../../support/images';

// computeThumbhash as uploads and the backfill call it: bounded, and never an error.

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imageapi-thumbhash-unit-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const config = parseConfig({ AUTH_SECRET: 'x'.repeat(48) });
const warnings: string[] = [];
const logger: Logger = { info: () => {}, warn: (m) => void warnings.push(m), error: () => {} } as Logger;

async function stored(bytes: Uint8Array) {
  const store = fsStore(dir);
  await store.put('images/x', new Blob([Uint8Array.from(bytes)]), { contentType: 'image/png' });
  return store;
}

const source = { storageKey: 'images/x', contentType: 'image/png', width: 40, height: 30, verified: true };

/** A transformer that counts its calls and fails as told. */
function failing(error: Error): ImageTransformer & { calls: number } {
  return {
    name: 'failing',
    reads: TRANSFORMABLE_TYPES,
    calls: 0,
    async transform() {
      this.calls++;
      throw error;
    },
  };
}

describe('computeThumbhash', () => {
  it('makes one through the real engine', async () => {
    const store = await stored(await png(40, 30));
    const hash = await computeThumbhash({ store, transformer: sharpTransformer(), config, logger }, source);
    expect(hash).toMatch(/^[A-Za-z0-9+/]{20,}=*$/);
  });

  it('answers null, logged, when the engine fails or is busy: never an error', async () => {
    const store = await stored(await png(40, 30));
    for (const error of [new EngineBusy('full'), new Error('down')]) {
      warnings.length = 0;
      const transformer = failing(error);
      expect(await computeThumbhash({ store, transformer, config, logger }, source)).toBeNull();
      expect(transformer.calls).toBe(1);
      expect(warnings).toEqual(['no thumbhash: the image could not be reduced']);
    }
  });

  it('does not decode what the variant rules refuse, nor an original over maxBytes', async () => {
    const store = await stored(await png(40, 30));
    const transformer = failing(new Error('must not be called'));
    const deps = { store, transformer, config, logger };
    expect(await computeThumbhash(deps, { ...source, verified: false })).toBeNull();
    expect(await computeThumbhash(deps, { ...source, contentType: 'image/avif' })).toBeNull();
    expect(await computeThumbhash(deps, { ...source, width: null })).toBeNull();
    expect(await computeThumbhash(deps, { ...source, width: 10_000, height: 10_000 })).toBeNull();
    expect(await computeThumbhash(deps, { ...source, size: 1001 }, { maxBytes: 1000 })).toBeNull();
    expect(transformer.calls).toBe(0);
  });

  it('plans an upright PNG inside 100×100, never enlarged', () => {
    const plan = (width: number, height: number, orientation = 1) =>
      thumbhashPlan({ ...source, width, height }, orientation, { config });
    expect(plan(300, 150)).toMatchObject({ width: THUMBHASH_SIDE, height: 50, format: 'png', mode: 'scale' });
    expect(plan(40, 30)).toMatchObject({ width: 40, height: 30 });
    // Orientation 6 swaps the axes: the upright image is 150 wide, 300 high.
    expect(plan(300, 150, 6)).toMatchObject({ width: 50, height: 100, source: { width: 300, height: 150 } });
    expect(plan(10_000, 10, 1)).toMatchObject({ width: 100, height: 1 });
  });
});
