/**
 * Password derivations at once, per process or isolate. Each is 100,000 PBKDF2 rounds on a
 * worker thread (libuv's pool on Node, which file reads and writes share); a burst of sign-ups
 * or logins with no bound would take every thread and stall requests that only read a file.
 * Past the queue, the request is told to come back (503) rather than wait without end.
 */
import { PASSWORD_HASHES } from '../limits';
import { Busy } from '../services/errors';

let running = 0;
const waiting: (() => void)[] = [];

/** Seconds a refused request is told to wait. */
const RETRY_AFTER_SECONDS = 1;

export async function withHashSlot<T>(work: () => Promise<T>): Promise<T> {
  if (running < PASSWORD_HASHES.running) running++;
  else if (waiting.length < PASSWORD_HASHES.queued) await new Promise<void>((resolve) => waiting.push(resolve));
  else throw new Busy('Too many passwords are being checked right now. Retry shortly.', RETRY_AFTER_SECONDS);
  try {
    return await work();
  } finally {
    // A freed slot passes straight to the next waiter, so `running` stays counted for it.
    const next = waiting.shift();
    if (next) next();
    else running--;
  }
}

/** Derivations running and waiting, for tests. */
export const hashLoad = () => ({ running, queued: waiting.length });
