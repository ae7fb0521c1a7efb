import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ProblemError } from './problem';

/** One read's outcome (named here: the Workers and Node type sets name it differently). */
export type ChunkResult = Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>;

/** What one request body may cost: bytes, and how long the client may take to send them. */
export interface BodyMeterLimits {
  /** Past this many bytes the read fails with 413, whatever Content-Length said (or if it was absent). */
  maxBytes: number;
  /** The 413's detail. */
  tooLarge: string;
  /** A wait of this long for the client's next bytes fails with 408. */
  idleMs: number;
  /**
   * Once the client has kept the server waiting for longer than `idleMs` in all, its bytes per
   * second of that waiting must reach this, or the read fails with 408: a body trickled in a
   * byte every few seconds never hits the idle timeout, but holds a connection and a temp file.
   */
  minBytesPerSecond: number;
  /** The whole body must have arrived within this, however steadily it moves. */
  maxMs: number;
}

const timedOut = (detail: string) => new ProblemError(408, detail);

/**
 * nginx's status for a request whose client went away before the answer: logged and counted as
 * that, not as a server error. No client receives it.
 */
export const CLIENT_CLOSED_REQUEST = 499;

/**
 * Reads a request body chunk by chunk, counting as it goes. Only time spent waiting for the
 * client counts towards its rate: a slow store that delays the next read is not the client's
 * doing. Every reader of request bodies in the app goes through one of these.
 */
export class MeteredReader {
  readonly #source: ReadableStreamDefaultReader<Uint8Array>;
  readonly #limits: BodyMeterLimits;
  #bytes = 0;
  #waitedMs = 0;
  readonly #started = Date.now();
  /** When the read in flight began; undefined while the consumer holds a chunk. */
  #readingSince: number | undefined;
  /** One watch per body, not a timer per chunk: it re-arms itself only while a read waits. */
  #watch: ReturnType<typeof setTimeout> | undefined;
  #stalled: ProblemError | undefined;

  constructor(body: ReadableStream<Uint8Array>, limits: BodyMeterLimits) {
    this.#source = body.getReader();
    this.#limits = limits;
  }

  get bytesRead(): number {
    return this.#bytes;
  }

  async read(): Promise<ChunkResult> {
    const { idleMs, maxBytes, minBytesPerSecond, tooLarge } = this.#limits;
    const started = Date.now();
    this.#readingSince = started;
    this.#watch ??= setTimeout(this.#check, idleMs);
    let result: ChunkResult;
    try {
      result = await this.#source.read();
    } catch (err) {
      this.#stop();
      if (this.#stalled) throw this.#stalled;
      // The runtime fails a body read only when the connection broke: the client is gone.
      throw new ProblemError(CLIENT_CLOSED_REQUEST as ContentfulStatusCode, 'The client closed the connection.', {
        cause: err,
      });
    } finally {
      this.#readingSince = undefined;
      this.#waitedMs += Date.now() - started;
    }
    // The watch cancelled the source: the read ended because the client went quiet.
    if (this.#stalled) throw this.#stalled;
    if (result.done) {
      this.#stop();
      return result;
    }
    if (Date.now() - this.#started > this.#limits.maxMs) {
      return this.#fail(timedOut(`The request body took longer than ${Math.round(this.#limits.maxMs / 1000)} s.`));
    }
    this.#bytes += result.value.byteLength;
    if (this.#bytes > maxBytes) return this.#fail(new ProblemError(413, tooLarge));
    if (this.#waitedMs > idleMs && (this.#bytes * 1000) / this.#waitedMs < minBytesPerSecond) {
      return this.#fail(timedOut(`The request body arrived too slowly: under ${minBytesPerSecond} bytes per second.`));
    }
    return result;
  }

  /** Fires at most every idleMs: fails the read in flight if it has waited that long. */
  readonly #check = () => {
    this.#watch = undefined;
    if (this.#readingSince === undefined) return; // the next read re-arms it
    const { idleMs } = this.#limits;
    const waiting = Date.now() - this.#readingSince;
    if (waiting < idleMs) {
      this.#watch = setTimeout(this.#check, idleMs - waiting);
      return;
    }
    this.#stalled = timedOut(`The request body stalled: no bytes arrived for ${Math.round(idleMs / 1000)} s.`);
    void this.#source.cancel(this.#stalled).catch(() => {});
  };

  #stop(): void {
    clearTimeout(this.#watch);
    this.#watch = undefined;
  }

  /** Stops reading the request; what was read stays valid. */
  async cancel(reason?: unknown): Promise<void> {
    this.#stop();
    await this.#source.cancel(reason).catch(() => {});
  }

  async #fail(error: ProblemError): Promise<never> {
    await this.cancel(error);
    throw error;
  }
}

/** A whole (small) body, read through a meter: never more than `limits.maxBytes` in memory. */
export async function readWhole(body: ReadableStream<Uint8Array>, limits: BodyMeterLimits): Promise<Uint8Array> {
  const reader = new MeteredReader(body, limits);
  const chunks: Uint8Array[] = [];
  for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
  const out = new Uint8Array(reader.bytesRead);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
