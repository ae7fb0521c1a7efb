/**
 * Which metadata shard holds a user's images, tags and usage (docs/scale.md). A user is placed
 * once, at sign-up, and the placement is stored in the directory database; from then on their
 * shard is read from there, never computed. So adding a shard, or closing a full one, moves
 * nobody: new shards only take new users. Pure: the caller passes the shards' current sizes and
 * a source of randomness, and stores what `assign` returns.
 */

export interface ShardState {
  readonly id: string;
  /** False once the operator stops placing users on it (full, or being retired); its users stay. */
  readonly open: boolean;
  /** Metadata bytes it holds now (D1: the database size; sqld: the namespace's file size). */
  readonly bytes: number;
  /** Bytes it may grow to: its database's limit less the headroom its users' growth needs. */
  readonly capacity: number;
}

/** The shards, and every placement made so far: what the directory database holds. */
export interface ShardMap {
  readonly shards: readonly ShardState[];
  readonly placements: ReadonlyMap<string, string>;
}

export class NoOpenShard extends Error {
  constructor() {
    super('No open shard has room for a new user: add a shard.');
    this.name = 'NoOpenShard';
  }
}

export const emptyShardMap = (): ShardMap => ({ shards: [], placements: new Map() });

/** A new, empty, open shard; the users already placed stay where they are. */
export function addShard(map: ShardMap, id: string, capacity: number): ShardMap {
  if (map.shards.some((s) => s.id === id)) throw new Error(`shard ${id} exists`);
  return { ...map, shards: [...map.shards, { id, open: true, bytes: 0, capacity }] };
}

/** Opens or closes a shard to new users; nobody moves either way. */
export function setShardOpen(map: ShardMap, id: string, open: boolean): ShardMap {
  return { ...map, shards: map.shards.map((s) => (s.id === id ? { ...s, open } : s)) };
}

/** Records a shard's measured size (a periodic read of each database's size). */
export function setShardBytes(map: ShardMap, id: string, bytes: number): ShardMap {
  return { ...map, shards: map.shards.map((s) => (s.id === id ? { ...s, bytes } : s)) };
}

const fill = (s: ShardState) => s.bytes / s.capacity;

/**
 * The shard for a new user: of two open shards with room, drawn at random with chances
 * proportional to their free bytes, the emptier one ("power of two choices"). Always taking the
 * emptiest shard would send every sign-up of a burst to the same new shard while its size reading
 * lags behind; two random choices spread a burst yet still favour a new shard (about twice its share) until it catches up.
 */
export function pickShard(shards: readonly ShardState[], random: () => number): string {
  const candidates = shards.filter((s) => s.open && s.bytes < s.capacity);
  if (candidates.length === 0) throw new NoOpenShard();
  const draw = (among: readonly ShardState[]): ShardState => {
    const total = among.reduce((sum, s) => sum + (s.capacity - s.bytes), 0);
    let at = random() * total;
    for (const s of among) {
      at -= s.capacity - s.bytes;
      if (at < 0) return s;
    }
    return among[among.length - 1] as ShardState;
  };
  const first = draw(candidates);
  const rest = candidates.filter((s) => s !== first);
  if (rest.length === 0) return first.id;
  const second = draw(rest);
  return fill(second) < fill(first) ? second.id : first.id;
}

/** Places a user at sign-up; a user already placed keeps their shard. */
export function assign(map: ShardMap, userId: string, random: () => number): { map: ShardMap; shard: string } {
  const existing = map.placements.get(userId);
  if (existing) return { map, shard: existing };
  const shard = pickShard(map.shards, random);
  const placements = new Map(map.placements);
  placements.set(userId, shard);
  return { map: { ...map, placements }, shard };
}

/** Where a user's rows live; undefined for a user never placed. */
export const shardOf = (map: ShardMap, userId: string): string | undefined => map.placements.get(userId);
