/**
 * Decodes in this process are bounded twice. At most `running` run at once and `queued` more
 * wait; past that, `EngineBusy` at once. And the pixel memory the decodes in flight hold is
 * bounded by `memoryBytes`: once a decode knows its image (from the decoder's metadata) it
 * reserves what making the variant costs, waiting while others hold the budget, and a variant that
 * alone would exceed it is refused. A decode count alone is not enough: a progressive JPEG of a
 * few KiB is held whole while it decodes, coefficients and all, so two of them can cost as much
 * as hundreds of ordinary ones.
 */
import { slots } from '../lib/slots';
import { EngineBusy, VariantTooCostly } from './transformer';

export interface DecodeLimits {
  running: number;
  queued: number;
  memoryBytes: number;
}

/** Inside a decode: reserve `bytes` of the memory budget (released when the decode ends). */
export type Reserve = (bytes: number) => Promise<void>;

export interface DecodeGate {
  run<T>(work: (reserve: Reserve) => Promise<T>): Promise<T>;
  /** Decodes in flight and waiting, and the memory they hold, for tests and logs. */
  readonly load: { running: number; queued: number; memoryBytes: number };
}

export function decodeGate(limits: DecodeLimits): DecodeGate {
  const decodes = slots(
    limits,
    ({ running, queued }) => new EngineBusy(`${running} decodes running and ${queued} waiting`),
  );
  let held = 0;
  const memoryWaiters: { bytes: number; wake: () => void }[] = [];
  const wakeMemory = () => {
    // In order: a large reservation is not starved by a stream of small ones.
    for (let first = memoryWaiters[0]; first && held + first.bytes <= limits.memoryBytes; first = memoryWaiters[0]) {
      memoryWaiters.shift();
      held += first.bytes;
      first.wake();
    }
  };
  return {
    get load() {
      return { ...decodes.load, memoryBytes: held };
    },
    run: <T>(work: (reserve: Reserve) => Promise<T>): Promise<T> =>
      decodes.run(async () => {
        let mine = 0;
        const reserve: Reserve = async (bytes) => {
          if (mine + bytes > limits.memoryBytes) {
            throw new VariantTooCostly(
              `making it would hold ${Math.ceil((mine + bytes) / 2 ** 20)} MiB; decodes may hold ${Math.floor(limits.memoryBytes / 2 ** 20)} MiB`,
            );
          }
          if (memoryWaiters.length === 0 && held + bytes <= limits.memoryBytes) held += bytes;
          else await new Promise<void>((wake) => memoryWaiters.push({ bytes, wake }));
          mine += bytes;
        };
        try {
          return await work(reserve);
        } finally {
          held -= mine;
          wakeMemory();
        }
      }),
  };
}
