import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGate } from '../../../src/transform/decode-gate';
import { decodeCost, sharpTransformer } from '../../../src/transform/sharp';
import {
  EngineBusy,
  type TransformPlan,
  UntransformableImage,
  VariantTooCostly,
} from '../../../src/transform/transformer';
import { gifFrameBomb, hugePng, lyingAvif } from '../../support/bombs';
import { bearer, newUser, type TestUser } from '../../support/client';
import { dataDir, httpTarget, memoryLogger, startInProcess } from '../../support/node/servers';
import type { Target } from '../../support/target';
import { upload } from '../../support/upload';

/** Decode memory, measured: the server runs in this process, so its RSS is ours. */
const RSS_BOUND = 256 * 1024 ** 2;

let target: Target;
let user: TestUser;
let stop: () => Promise<void>;
const logger = memoryLogger();

beforeAll(async () => {
  const data = await dataDir();
  const server = await startInProcess(data.env, logger);
  target = httpTarget('node', server.origin, { authSecret: data.env.AUTH_SECRET });
  user = await newUser(target, 'bombs');
  stop = async () => {
    await server.shutdown('tests done');
    await data.remove();
  };
});
afterAll(() => stop?.());

/** Runs `work` while sampling RSS; returns the peak growth over the RSS before it. */
async function rssGrowth(work: () => Promise<void>): Promise<number> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, process.memoryUsage().rss) - before;
}

const variant = (id: number) => target.fetch(`/api/v1/images/${id}/file?width=1&format=png`, { headers: bearer(user) });
const engineRefusals = () =>
  logger.lines.filter((l) => l.message === 'variant not made: the engine cannot read the image').length;

describe('decoder bombs on Node', () => {
  it('a variant too costly to make is refused for that request only: the image keeps its other variants', async () => {
    const big = await sharp({ create: { width: 7000, height: 7000, channels: 4, background: '#336699' } })
      .png()
      .toBuffer();
    const image = await upload(target, user, big);
    const thumbnail = () =>
      target.fetch(`/api/v1/images/${image.id}/file?width=256&format=webp`, { headers: bearer(user) });
    expect((await thumbnail()).status).toBe(200);
    const growth = await rssGrowth(async () => {
      // The whole 49 MP image as JPEG, four at once: each would hold far more than the budget.
      const answers = await Promise.all(
        Array.from({ length: 4 }, () =>
          target.fetch(`/api/v1/images/${image.id}/file?format=jpeg`, { headers: bearer(user) }),
        ),
      );
      expect(answers.map((r) => r.status)).toEqual(Array(4).fill(422));
      const [first] = answers;
      if (!first) throw new Error('no answer');
      expect(((await first.json()) as { detail: string }).detail).toMatch(/smaller size/);
    });
    expect(growth).toBeLessThan(RSS_BOUND);
    // Nothing was remembered against the image: the stored thumbnail and a new small size still work.
    expect((await thumbnail()).status).toBe(200);
    const small = await target.fetch(`/api/v1/images/${image.id}/file?width=300&format=webp`, {
      headers: bearer(user),
    });
    expect(small.status).toBe(200);
  });

  it('a GIF frame bomb hidden past the sniffed head is refused by the decoder, once, within the RSS bound', async () => {
    // Stored 1×1: only the decoder sees the 20000×20000 frame (1.6 GB of pixels).
    const image = await upload(target, user, gifFrameBomb(20_000, 20_000, { hideAfter: 70_000 }));
    expect([image.width, image.height]).toEqual([1, 1]);
    const refusalsBefore = engineRefusals();
    const growth = await rssGrowth(async () => {
      for (let i = 0; i < 3; i++) expect((await variant(image.id)).status).toBe(422);
    });
    expect(growth).toBeLessThan(RSS_BOUND);
    // The decoder ran once; the later requests were refused from the image row.
    expect(engineRefusals() - refusalsBefore).toBe(1);
  });

  it('a GIF whose frame outgrows its screen is stored at the frame size and refused before decoding', async () => {
    const image = await upload(target, user, gifFrameBomb());
    expect([image.width, image.height]).toEqual([20_000, 20_000]);
    const refusalsBefore = engineRefusals();
    const growth = await rssGrowth(async () => {
      const answers = await Promise.all(Array.from({ length: 8 }, () => variant(image.id)));
      expect(answers.map((r) => r.status)).toEqual(Array(8).fill(422));
    });
    expect(growth).toBeLessThan(RSS_BOUND);
    expect(engineRefusals()).toBe(refusalsBefore);
  });

  it('a real AVIF whose ispe understates its coded size is stored but never decoded', async () => {
    const coded = await sharp({ create: { width: 512, height: 512, channels: 3, background: '#808080' } })
      .avif({ effort: 0 })
      .toBuffer();
    const image = await upload(target, user, lyingAvif(64, 64, coded));
    expect([image.content_type, image.width, image.height]).toEqual(['image/avif', 64, 64]);
    const refusalsBefore = engineRefusals();
    const res = await variant(image.id);
    expect(res.status).toBe(422);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/image\/avif/);
    expect(engineRefusals()).toBe(refusalsBefore);
  });
});

describe('sharp transformer limits', () => {
  const plan = (over: Partial<TransformPlan>): TransformPlan => ({
    source: { width: 1, height: 1 },
    maxInputPixels: 50_000_000,
    orientation: 1,
    width: 1,
    height: 1,
    mode: 'scale',
    format: 'png',
    quality: undefined,
    ...over,
  });
  const open = (bytes: Uint8Array) => async () => new Blob([new Uint8Array(bytes)]).stream();

  it('refuses by what the decoder reads: over the pixel limit, or another size than the stored one', async () => {
    const transformer = sharpTransformer();
    // A header that is honest but over the limit, passed as if the service had let it through.
    await expect(
      transformer.transform(open(hugePng(60_000, 60_000)), plan({ source: { width: 60_000, height: 60_000 } })),
    ).rejects.toBeInstanceOf(UntransformableImage);
    // Stored 1×1, decoded 2000×2000 (within the limit): a mismatch is refused, not decoded.
    await expect(transformer.transform(open(gifFrameBomb(2000, 2000)), plan({}))).rejects.toThrow(/2000×2000/);
  });

  it('runs at most `running` decodes with `queued` waiting, and turns the rest away as busy', async () => {
    const transformer = sharpTransformer({ running: 1, queued: 1, memoryBytes: 2 ** 30 });
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = () =>
      transformer.gate.run(async () => {
        await held;
      });
    const first = slow();
    const second = slow();
    expect(transformer.gate.load).toEqual({ running: 1, queued: 1, memoryBytes: 0 });
    await expect(slow()).rejects.toBeInstanceOf(EngineBusy);
    release();
    await Promise.all([first, second]);
    expect(transformer.gate.load).toEqual({ running: 0, queued: 0, memoryBytes: 0 });
  });

  it('holds decodes to the memory budget: a second waits for the first to give its share back', async () => {
    const gate = decodeGate({ running: 4, queued: 4, memoryBytes: 100 });
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const order: string[] = [];
    const first = gate.run(async (reserve) => {
      await reserve(70);
      order.push('first decodes');
      await held;
      order.push('first done');
    });
    const second = gate.run(async (reserve) => {
      await reserve(60);
      order.push('second decodes');
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(gate.load).toEqual({ running: 2, queued: 0, memoryBytes: 70 });
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['first decodes', 'first done', 'second decodes']);
    expect(gate.load.memoryBytes).toBe(0);
    // One image that alone needs more than the budget is refused, not queued for ever.
    await expect(gate.run((reserve) => reserve(101))).rejects.toBeInstanceOf(VariantTooCostly);
    expect(gate.load).toEqual({ running: 0, queued: 0, memoryBytes: 0 });
  });

  it('counts a progressive JPEG by the whole image it holds, a baseline one by a band of rows', async () => {
    const pixels = { width: 4000, height: 3000 };
    const make = (progressive: boolean) =>
      sharp({ create: { ...pixels, channels: 3, background: '#808080' } })
        .jpeg({ progressive })
        .toBuffer();
    const out = { width: 100, height: 75 };
    const progressive = decodeCost(await sharp(await make(true)).metadata(), out);
    const baseline = decodeCost(await sharp(await make(false)).metadata(), out);
    expect(progressive).toBe(4 * 4000 * 3000 * 3 + 3.5 * 100 * 75 * 4);
    expect(baseline).toBe(4000 * 3 * 256 + 3.5 * 100 * 75 * 4);
  });
});
