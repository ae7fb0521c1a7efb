// Drives the shard router (src/services/shard-router.ts) over N metadata shards with a
// heavy-tailed population, for docs/scale.md: users sign up evenly over three years and keep
// adding images at their own rate (log-normal: most users store a few dozen images, a few store
// up to the image quota) and using the API on some days. The router places each sign-up from
// the shards' sizes as last measured (once per simulated week, as an operator's size poll
// would), never seeing a user's future. Prints, as N grows, the skew (largest shard / mean) and
// the largest shard's bytes at the end, for the router and for a uniform random placement (what
// hashing user ids gives). Seeded: the same table on every run.
//
//   npm run sim:shards [-- --users-per-shard 30000 --seed 1]
import { pickShard, type ShardState } from '../src/services/shard-router';
import { mulberry32 } from './prng';

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const USERS_PER_SHARD = arg('users-per-shard', 20_000);
const SEED = arg('seed', 1);

// Measured by `npm run measure:rows` (docs/scale.md): an image with three tags and a list
// thumbnail; a user's day of usage counts.
const BYTES_PER_IMAGE = 880;
const BYTES_PER_ACTIVE_DAY = 386;
const QUOTA_MAX_IMAGES = 100_000;
const HORIZON_DAYS = 3 * 365;
const POLL_DAYS = 7;
const GB = 1e9;
// D1's 10 GB less a tenth for the growth of users already placed after the shard closes.
const CAPACITY = 9 * GB;

interface Population {
  signUpDay: Float64Array;
  imagesPerDay: Float64Array;
  activeDaysPerDay: Float64Array;
}

/** Standard normal draws by Box–Muller from the seeded uniform source. */
const normal = (random: () => number) => () =>
  Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

function population(users: number, random: () => number): Population {
  const z = normal(random);
  const p: Population = {
    signUpDay: new Float64Array(users),
    imagesPerDay: new Float64Array(users),
    activeDaysPerDay: new Float64Array(users),
  };
  for (let i = 0; i < users; i++) {
    p.signUpDay[i] = (i / users) * HORIZON_DAYS;
    // Images after a year: median 30, log-normal σ = 2 (mean ≈ 220; 1 in 1000 users past 14,000).
    p.imagesPerDay[i] = (30 * Math.exp(2 * z())) / 365;
    // Days with requests per day of membership: median one day in twelve, up to every day.
    p.activeDaysPerDay[i] = Math.min(1, Math.exp(Math.log(1 / 12) + 1.2 * z()));
  }
  return p;
}

const userBytes = (p: Population, i: number, day: number): number => {
  const age = Math.max(0, day - (p.signUpDay[i] as number));
  const images = Math.min(QUOTA_MAX_IMAGES, (p.imagesPerDay[i] as number) * age);
  return images * BYTES_PER_IMAGE + (p.activeDaysPerDay[i] as number) * age * BYTES_PER_ACTIVE_DAY;
};

interface Outcome {
  bytes: number[];
  moved: number;
  refused: number;
  largestUser: number;
  /** What the largest shard grew by in the last 30 days: its users' growth, which no placement stops. */
  monthlyGrowth: number;
}

/**
 * One run: `initial` shards at day 0, `added` more opened at `addOnDay`. `place` chooses a shard
 * for each sign-up from the last size poll.
 */
function run(
  p: Population,
  initial: number,
  added: number,
  addOnDay: number,
  place: (shards: readonly ShardState[]) => string,
): Outcome {
  const users = p.signUpDay.length;
  const shards: { id: string; open: boolean; bytes: number; capacity: number }[] = [];
  const open = (count: number) => {
    for (let k = 0; k < count; k++)
      shards.push({ id: String(shards.length), open: true, bytes: 0, capacity: CAPACITY });
  };
  open(initial);
  const placement = new Int32Array(users).fill(-1);
  let placedBefore: Int32Array | undefined;
  let refused = 0;
  let next = 0;
  const sizes = (day: number) => {
    const sums = new Float64Array(shards.length);
    for (let i = 0; i < next; i++) {
      const s = placement[i] as number;
      if (s >= 0) sums[s] = (sums[s] as number) + userBytes(p, i, day);
    }
    return sums;
  };
  const measure = (day: number) => {
    const sums = sizes(day);
    shards.forEach((s, k) => {
      s.bytes = sums[k] as number;
      // Full: closed to sign-ups; its users stay and keep growing into the headroom.
      if (s.bytes >= s.capacity) s.open = false;
    });
  };
  for (let day = 0; day < HORIZON_DAYS; day += POLL_DAYS) {
    if (added > 0 && day <= addOnDay && addOnDay < day + POLL_DAYS) {
      placedBefore = placement.slice();
      open(added);
    }
    const until = Math.min(HORIZON_DAYS, day + POLL_DAYS);
    for (; next < users && (p.signUpDay[next] as number) < until; next++) {
      try {
        placement[next] = Number(place(shards));
      } catch {
        refused++;
      }
    }
    measure(until);
  }
  let moved = 0;
  if (placedBefore)
    for (let i = 0; i < users; i++) if (placedBefore[i] !== -1 && placedBefore[i] !== placement[i]) moved++;
  let largestUser = 0;
  for (let i = 0; i < users; i++) largestUser = Math.max(largestUser, userBytes(p, i, HORIZON_DAYS));
  const monthAgo = sizes(HORIZON_DAYS - 30);
  const largest = shards.reduce((at, s, k) => (s.bytes > (shards[at] as ShardState).bytes ? k : at), 0);
  const monthlyGrowth = (shards[largest] as ShardState).bytes - (monthAgo[largest] as number);
  return { bytes: shards.map((s) => s.bytes), moved, refused, largestUser, monthlyGrowth };
}

const fmtGB = (bytes: number) => `${(bytes / GB).toFixed(2)} GB`;
const skew = (bytes: number[]) => Math.max(...bytes) / (bytes.reduce((a, b) => a + b, 0) / bytes.length);

const rows: string[] = [];
for (const n of [1, 2, 4, 8, 16, 32, 64]) {
  const p = population(n * USERS_PER_SHARD, mulberry32(SEED + n));
  const routed = mulberry32(SEED * 1000 + n);
  const uniform = mulberry32(SEED * 2000 + n);
  const router = run(p, n, 0, 0, (shards) => pickShard(shards, routed));
  const hashed = run(p, n, 0, 0, (shards) => String(Math.floor(uniform() * shards.length)));
  // The same population, with half the shards opened only halfway through.
  const half = Math.max(1, Math.floor(n / 2));
  const grown = run(p, half, n - half, HORIZON_DAYS / 2, (shards) => pickShard(shards, routed));
  const total = router.bytes.reduce((a, b) => a + b, 0);
  rows.push(
    `| ${n} | ${(n * USERS_PER_SHARD).toLocaleString('en')} | ${fmtGB(total)} | ${fmtGB(Math.max(...router.bytes))} | ${skew(router.bytes).toFixed(3)} | ${fmtGB(Math.max(...hashed.bytes))} | ${skew(hashed.bytes).toFixed(3)} | ${n > 1 ? `${fmtGB(Math.max(...grown.bytes))} / ${skew(grown.bytes).toFixed(3)} / ${grown.moved}` : '–'} | ${fmtGB(router.monthlyGrowth)} | ${(router.largestUser / 1e6).toFixed(1)} MB | ${router.refused} |`,
  );
}

console.log(
  `shard-sim: ${USERS_PER_SHARD.toLocaleString('en')} users per shard over ${HORIZON_DAYS} days, seed ${SEED}; ` +
    `${BYTES_PER_IMAGE} B per image, ${BYTES_PER_ACTIVE_DAY} B per active day; shards close at ${fmtGB(CAPACITY)}\n`,
);
console.log(
  '| shards | users | metadata | largest shard (router) | skew (router) | largest shard (uniform) | skew (uniform) | half added mid-way: largest / skew / users moved | largest shard: growth in the last 30 days | largest user | sign-ups refused |',
);
console.log('|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
for (const row of rows) console.log(row);
