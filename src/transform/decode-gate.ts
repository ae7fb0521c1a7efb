/**
 * At most `running` decodes at once in this process, and at most `queued` more waiting; past
 * that, `EngineBusy` at once. Decode memory grows with each decode in flight, so a parallel
 * storm of variant requests must wait its turn (or be told to come back) instead of multiplying it.
 */
import { EngineBusy } from './transformer';

export interface DecodeGate {
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Decodes in flight and waiting, for tests and logs. */
  readonly load: { running: number; queued: number };
}

export function decodeGate(limits: { running: number; queued: number }): DecodeGate {
  let running = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
  return {
    get load() {
      return { running, queued: waiting.length };
    },
    async run<T>(work: () => Promise<T>): Promise<T> {
      if (running < limits.running) running++;
      else if (waiting.length < limits.queued) await new Promise<void>((resolve) => waiting.push(resolve));
      else throw new EngineBusy(`${running} decodes running and ${waiting.length} waiting`);
      // A released slot passes straight to the next waiter, so `running` stays counted for it.
      try {
        return await work();
      } finally {
        release();
      }
    },
  };
}
