/** What the API depends on to answer. */
export type Dependency = 'database' | 'image store';

/**
 * A dependency (the database, the image store, or both) failed or did not answer in time. The
 * request may succeed if repeated (src/http/errors.ts answers it 503 with `Retry-After`).
 */
export class UnavailableError extends Error {
  override name = 'UnavailableError';
  readonly dependencies: readonly Dependency[];
  constructor(
    dependency: Dependency | readonly Dependency[],
    readonly timedOut: boolean,
    options?: { cause?: unknown },
  ) {
    const dependencies = typeof dependency === 'string' ? [dependency] : dependency;
    super(`The ${dependencies.join(' and the ')} ${timedOut ? 'did not answer in time' : 'failed'}.`, options);
    this.dependencies = dependencies;
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
