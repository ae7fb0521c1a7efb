/**
 * At most `running` tasks at once, and at most `queued` more waiting in order; past that, the
 * task is refused at once with the error `busy` makes. What the process-wide gates share (image
 * decodes, password derivations): each bounds work whose cost is not the request's memory but a
 * thread, a core or a decode buffer.
 */
export interface Slots {
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Tasks running and waiting now, for tests and logs. */
  readonly load: { running: number; queued: number };
}

export function slots(limits: { running: number; queued: number }, busy: (load: Slots['load']) => Error): Slots {
  let running = 0;
  const waiting: (() => void)[] = [];
  const load = () => ({ running, queued: waiting.length });
  return {
    get load() {
      return load();
    },
    async run<T>(work: () => Promise<T>): Promise<T> {
      if (running < limits.running) running++;
      else if (waiting.length < limits.queued) await new Promise<void>((resolve) => waiting.push(resolve));
      else throw busy(load());
      try {
        return await work();
      } finally {
        // A freed slot passes straight to the next waiter, so `running` stays counted for it.
        const next = waiting.shift();
        if (next) next();
        else running--;
      }
    },
  };
}
