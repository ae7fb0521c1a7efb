/**
 * A dependency (the database or the image store) failed or did not answer in time. The request
 * may succeed if repeated (src/http/errors.ts answers it 503 with `Retry-After`).
 */
export class UnavailableError extends Error {
  override name = 'UnavailableError';
  constructor(
    readonly dependency: 'database' | 'image store',
    readonly timedOut: boolean,
    options?: { cause?: unknown },
  ) {
    super(`The ${dependency} ${timedOut ? 'did not answer in time' : 'failed'}.`, options);
  }
}

/** How long a client should wait before repeating the request, in seconds. */
export const RETRY_AFTER_SECONDS = 5;

/** Rejects with `onTimeout()` if `work` has not settled within `ms`. */
export function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
