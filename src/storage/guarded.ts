import { UnavailableError, withTimeout } from '../lib/unavailable';
import type { ImageStore } from './image-store';

/** Time a put may take on top of `timeoutMs`, per MiB of body: a large upload is not a hang. */
const PUT_MS_PER_MIB = 1_000;

/**
 * The store as the services use it: any failure, or no answer within `timeoutMs`, becomes an
 * `UnavailableError` (503 with Retry-After). A put that times out may still finish later; its
 * bytes then have no row and are swept by housekeeping. `current` is read on every call, so an
 * entry (or a test) may swap the store underneath.
 */
export function guardedStore(current: () => ImageStore, timeoutMs: number): ImageStore {
  /** `ms` undefined: failures are still mapped, with no clock of its own. */
  const guard = <T>(work: () => Promise<T>, ms: number | undefined): Promise<T> => {
    let started: Promise<T>;
    try {
      started = work();
    } catch (err) {
      started = Promise.reject(err);
    }
    const mapped = started.catch((err: unknown) => {
      throw err instanceof UnavailableError ? err : new UnavailableError('image store', false, { cause: err });
    });
    if (ms === undefined) return mapped;
    return withTimeout(mapped, ms, () => new UnavailableError('image store', true));
  };
  /**
   * A body of unknown length arrives at the client's pace, which is no sign of a hung store: the
   * clock starts when its last byte has been handed to the store, which then has `timeoutMs`.
   */
  const guardStreamingPut = (args: unknown[], run: (args: unknown[]) => Promise<unknown>) => {
    let ended!: () => void;
    const handedOver = new Promise<void>((resolve) => {
      ended = resolve;
    });
    const body = (args[1] as ReadableStream<Uint8Array>).pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({ flush: () => ended() }),
    );
    const work = run([args[0], body, ...args.slice(2)]);
    return Promise.race([
      work,
      handedOver.then(() => withTimeout(work, timeoutMs, () => new UnavailableError('image store', true))),
    ]);
  };
  return new Proxy({} as ImageStore, {
    get(_, prop) {
      const store = current();
      const value: unknown = Reflect.get(store, prop, store);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const body = args[1];
        const size =
          prop === 'put' || prop === 'putPart'
            ? (args[2] as { size?: number } | undefined)?.size
            : prop === 'completeMultipart'
              ? (args[3] as number | undefined)
              : 0;
        if (prop === 'put' && size === undefined && body instanceof ReadableStream) {
          return guardStreamingPut(args, (rest) =>
            guard(() => value.apply(store, rest) as Promise<unknown>, undefined),
          );
        }
        return guard(
          () => value.apply(store, args) as Promise<unknown>,
          timeoutMs + ((size ?? 0) / 2 ** 20) * PUT_MS_PER_MIB,
        );
      };
    },
  });
}
