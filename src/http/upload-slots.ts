import type { Config } from '../config';
import { ProblemError } from './problem';

/**
 * Uploads being received at once, per user and per client address, in this process (a Workers
 * isolate, a Node or Bun server). Each holds a connection, a store write and a temp file or
 * multipart upload while it lasts; without a cap, one account or one address could open as many
 * as the server accepts.
 */
export class UploadSlots {
  readonly #held = new Map<string, number>();

  constructor(
    private readonly perUser: number,
    private readonly perAddress: number,
  ) {}

  /** Takes a slot for the user and one for the address, or refuses (429); returns the release. */
  take(userId: number, address: string | undefined): () => void {
    const keys: [string, number, string][] = [[`user:${userId}`, this.perUser, 'for this account']];
    if (address !== undefined) keys.push([`address:${address}`, this.perAddress, 'from this address']);
    for (const [key, max, whose] of keys) {
      if (max > 0 && (this.#held.get(key) ?? 0) >= max) {
        throw new ProblemError(
          429,
          `Too many uploads in progress ${whose} (at most ${max} at once). Retry when one ends.`,
          {
            headers: { 'Retry-After': '1' },
          },
        );
      }
    }
    for (const [key] of keys) this.#held.set(key, (this.#held.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const [key] of keys) {
        const left = (this.#held.get(key) ?? 1) - 1;
        if (left > 0) this.#held.set(key, left);
        else this.#held.delete(key);
      }
    };
  }

  /** Slots held now, for tests and diagnostics. */
  get size(): number {
    return this.#held.size;
  }
}

const perConfig = new WeakMap<Config, UploadSlots>();

/** The slots of the app built with `config` (one per app: Workers builds one per isolate). */
export function uploadSlotsFor(config: Config): UploadSlots {
  let slots = perConfig.get(config);
  if (!slots) {
    slots = new UploadSlots(config.concurrentUploadsPerUser, config.concurrentUploadsPerAddress);
    perConfig.set(config, slots);
  }
  return slots;
}
