import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../scripts/prng';
import {
  addShard,
  assign,
  emptyShardMap,
  NoOpenShard,
  pickShard,
  type ShardMap,
  setShardBytes,
  setShardOpen,
  shardOf,
} from '../../src/services/shard-router';

const GB = 1e9;

type Step =
  | { kind: 'signUp'; user: number }
  | { kind: 'addShard'; capacity: number }
  | { kind: 'close'; shard: number }
  | { kind: 'reopen'; shard: number }
  | { kind: 'grow'; shard: number; bytes: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('signUp' as const), user: fc.nat(200) }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('addShard' as const), capacity: fc.integer({ min: 1, max: 10 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('close' as const), shard: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reopen' as const), shard: fc.nat(20) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('grow' as const),
      shard: fc.nat(20),
      bytes: fc.integer({ min: 0, max: 12 }),
    }),
  },
);

describe('shard router', () => {
  it('never moves a placed user, whatever shards are added, closed, reopened or filled', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 300 }), fc.integer(), (steps, seed) => {
        const random = mulberry32(seed);
        let map: ShardMap = addShard(emptyShardMap(), 's0', 10 * GB);
        const first = new Map<string, string>();
        for (const s of steps) {
          const id = (n: number) => map.shards[n % map.shards.length]?.id as string;
          if (s.kind === 'addShard') map = addShard(map, `s${map.shards.length}`, s.capacity * GB);
          else if (s.kind === 'close') map = setShardOpen(map, id(s.shard), false);
          else if (s.kind === 'reopen') map = setShardOpen(map, id(s.shard), true);
          else if (s.kind === 'grow') map = setShardBytes(map, id(s.shard), s.bytes * GB);
          else {
            const user = `u${s.user}`;
            const before = shardOf(map, user);
            const open = map.shards.filter((x) => x.open && x.bytes < x.capacity).map((x) => x.id);
            try {
              const placed = assign(map, user, random);
              map = placed.map;
              // A new user goes to an open shard with room; a placed one stays put.
              if (before) expect(placed.shard).toBe(before);
              else expect(open).toContain(placed.shard);
            } catch (err) {
              expect(err).toBeInstanceOf(NoOpenShard);
              expect(before).toBeUndefined();
              expect(open).toEqual([]);
            }
          }
          for (const [user, shard] of map.placements) {
            if (!first.has(user)) first.set(user, shard);
            expect(shard).toBe(first.get(user));
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses to place anyone when no shard is open and has room', () => {
    const random = mulberry32(1);
    expect(() => pickShard([], random)).toThrow(NoOpenShard);
    let map = addShard(addShard(emptyShardMap(), 'a', GB), 'b', GB);
    map = setShardOpen(setShardBytes(map, 'a', GB), 'b', false);
    expect(() => assign(map, 'u', random)).toThrow(NoOpenShard);
  });

  it('spreads equal sign-ups evenly, and fills a newly added shard first', () => {
    const random = mulberry32(7);
    const perUser = 1e6;
    let map = emptyShardMap();
    for (const id of ['a', 'b', 'c', 'd']) map = addShard(map, id, 10 * GB);
    const bytes = new Map(map.shards.map((s) => [s.id, 0]));
    const signUps = (count: number) => {
      for (let i = 0; i < count; i++) {
        const shard = pickShard(map.shards, random);
        bytes.set(shard, (bytes.get(shard) ?? 0) + perUser);
        // Sizes re-read after every hundred sign-ups, as a periodic poll would.
        if (i % 100 === 99) for (const [id, b] of bytes) map = setShardBytes(map, id, b);
      }
      for (const [id, b] of bytes) map = setShardBytes(map, id, b);
    };
    signUps(4000);
    const loads = [...bytes.values()];
    expect(Math.max(...loads) / (loads.reduce((a, b) => a + b) / loads.length)).toBeLessThan(1.02);

    map = addShard(map, 'e', 10 * GB);
    bytes.set('e', 0);
    const before = new Map(bytes);
    signUps(1000);
    const intoNew = ((bytes.get('e') ?? 0) - (before.get('e') ?? 0)) / perUser;
    // Its fair share is a fifth; the two choices hand it about twice that until it catches up.
    expect(intoNew).toBeGreaterThan(1000 * (1 / 5) * 1.6);
  });

  it('places the same users on the same shards for the same random draws', () => {
    const run = () => {
      const random = mulberry32(3);
      let map = addShard(addShard(emptyShardMap(), 'a', GB), 'b', 2 * GB);
      for (let i = 0; i < 50; i++) map = assign(map, `u${i}`, random).map;
      return [...map.placements];
    };
    expect(run()).toEqual(run());
  });
});
