import { UnavailableError, withTimeout } from '../services/unavailable';
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
  const guard = <T>(work: () => Promise<T>, ms: number): Promise<T> => {
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
  return new Proxy({} as ImageStore, {
    get(_, prop) {
      const store = current();
      const value: unknown = Reflect.get(store, prop, store);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const size = prop === 'put' ? ((args[2] as { size?: number } | undefined)?.size ?? 0) : 0;
        return guard(() => value.apply(store, args) as Promise<unknown>, timeoutMs + (size / 2 ** 20) * PUT_MS_PER_MIB);
      };
    },
  });
}
