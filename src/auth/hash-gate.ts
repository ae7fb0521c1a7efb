/**
 * Password derivations at once, per process or isolate. Each is 100,000 PBKDF2 rounds on a
 * worker thread (libuv's pool on Node, which file reads and writes share); a burst of sign-ups
 * or logins with no bound would take every thread and stall requests that only read a file.
 * Past the queue, the request is told to come back (503) rather than wait without end.
 */
import { slots } from '../lib/slots';
import { PASSWORD_HASHES } from '../limits';
import { Busy } from '../services/errors';

/** Seconds a refused request is told to wait. */
const RETRY_AFTER_SECONDS = 1;

const derivations = slots(
  PASSWORD_HASHES,
  () => new Busy('Too many passwords are being checked right now. Retry shortly.', RETRY_AFTER_SECONDS),
);

export const withHashSlot = <T>(work: () => Promise<T>): Promise<T> => derivations.run(work);

/** Derivations running and waiting, for tests. */
export const hashLoad = () => derivations.load;
