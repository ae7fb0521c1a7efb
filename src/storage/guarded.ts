import { UnavailableError, withTimeout } from '../services/unavailable';
import type { ImageStore } from './image-store';

/** Time a put may take on top of `timeoutMs`, per MiB of body: a large upload is not a hang. */
const PUT_MS_PER_MIB = 1_000;

/**
 * The store as the services use it: any failure, or no answer within `timeoutMs`, becomes an
 * `UnavailableError` (503 with Retry-After). A put that times out may still finish later; its
 * bytes then have no row and are swept by housekeeping.
 */
export function guardedStore(store: ImageStore, timeoutMs: number): ImageStore {
  const guard = <T>(work: () => Promise<T>, ms = timeoutMs): Promise<T> => {
    let started: Promise<T>;
    try {
      started = work();
    } catch (err) {
      started = Promise.reject(err);
    }
    return withTimeout(
      started.catch((err: unknown) => {
        throw err instanceof UnavailableError ? err : new UnavailableError('image store', false, { cause: err });
      }),
      ms,
      () => new UnavailableError('image store', true),
    );
  };
  return {
    ...store,
    put: (key, body, options) =>
      guard(() => store.put(key, body, options), timeoutMs + (options.size / 2 ** 20) * PUT_MS_PER_MIB),
    get: (key, range) => guard(() => store.get(key, range)),
    head: (key) => guard(() => store.head(key)),
    delete: (keys) => guard(() => store.delete(keys)),
    list: (options) => guard(() => store.list(options)),
  };
}
