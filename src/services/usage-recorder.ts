import type { Db } from '../db/client';
import { type DayCounts, flushUsage } from '../db/usage-queries';
import type { Logger } from '../lib/logger';

/** What one request adds to its user's day. */
export interface UsageEvent {
  userId: number;
  /** UTC `YYYY-MM-DD`. */
  day: string;
  /** The OpenAPI operationId; undefined adds no request count. */
  operation?: string;
  bytesUploaded?: number;
  bytesDownloaded?: number;
  uploadsRefused?: number;
}

export interface UsageRecorderOptions {
  /** Oldest a pending count may get before it is written; 0 writes after every request. */
  flushAfterMs: number;
  /** Pending requests that force a write sooner. */
  flushAtRequests?: number;
  logger?: Logger;
  /** Real time for the flush schedule (not the app's clock, which tests may hold still). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

// Each write is a transaction (on a local file, a WAL sync), so frequent writes show up in a busy
// server's CPU profile; the age bound (USAGE_FLUSH_SECONDS) still caps what a crash can lose.
export const FLUSH_AT_REQUESTS = 1000;

/**
 * Per-day usage counts, aggregated in memory per isolate/process and written in one batched,
 * atomic upsert (`count = count + excluded.count`, so writers never lose each other's counts)
 * every `flushAfterMs` or every `flushAtRequests` requests. Recording is a few map updates: no
 * database call on a request's path. What is lost if the isolate dies before a write is bounded
 * by those two numbers (see the README).
 */
export class UsageRecorder {
  private pending = new Map<string, DayCounts>();
  private pendingRequests = 0;
  private oldestAt: number | undefined;
  private flushing: Promise<void> | undefined;
  private timerArmed = false;
  private readonly flushAtRequests: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: UsageRecorderOptions) {
    this.flushAtRequests = options.flushAtRequests ?? FLUSH_AT_REQUESTS;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  record(event: UsageEvent): void {
    const key = `${event.userId} ${event.day}`;
    let counts = this.pending.get(key);
    if (!counts) {
      counts = {
        userId: event.userId,
        day: event.day,
        bytesUploaded: 0,
        bytesDownloaded: 0,
        uploadsRefused: 0,
        requests: new Map(),
      };
      this.pending.set(key, counts);
    }
    counts.bytesUploaded += event.bytesUploaded ?? 0;
    counts.bytesDownloaded += event.bytesDownloaded ?? 0;
    counts.uploadsRefused += event.uploadsRefused ?? 0;
    if (event.operation) {
      counts.requests.set(event.operation, (counts.requests.get(event.operation) ?? 0) + 1);
      this.pendingRequests++;
    }
    this.oldestAt ??= this.now();
  }

  /** True when nothing waits to be written. */
  get empty(): boolean {
    return this.pending.size === 0;
  }

  /** Pending counts are old enough, or many enough, to be written now. */
  due(): boolean {
    if (this.oldestAt === undefined) return false;
    return this.pendingRequests >= this.flushAtRequests || this.now() - this.oldestAt >= this.options.flushAfterMs;
  }

  /**
   * Takes everything pending for a write, once no other write is under way, and holds off other
   * writes until `done` is called. The usage read writes what it takes inside its own batch, so
   * its answer includes this isolate's counts exactly once, and no write in flight can land in
   * neither place a reader looks. `done(true)` (the write failed) puts the counts back.
   */
  async reserve(): Promise<{ counts: DayCounts[]; done(failed: boolean): void }> {
    // Checked again after every wait: another caller may have reserved meanwhile.
    while (this.flushing) await this.flushing;
    const counts = [...this.pending.values()];
    this.pending = new Map();
    this.pendingRequests = 0;
    this.oldestAt = undefined;
    let release = () => {};
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.flushing = mine;
    return {
      counts,
      done: (failed) => {
        if (failed) this.restore(counts);
        if (this.flushing === mine) this.flushing = undefined;
        release();
      },
    };
  }

  restore(taken: DayCounts[]): void {
    for (const c of taken) {
      this.record({
        userId: c.userId,
        day: c.day,
        bytesUploaded: c.bytesUploaded,
        bytesDownloaded: c.bytesDownloaded,
        uploadsRefused: c.uploadsRefused,
      });
      const counts = this.pending.get(`${c.userId} ${c.day}`);
      for (const [operation, n] of c.requests) {
        counts?.requests.set(operation, (counts.requests.get(operation) ?? 0) + n);
        this.pendingRequests += n;
      }
    }
  }

  /** Writes everything pending in one batch; one write at a time. Failures keep the counts. */
  async flush(db: Db): Promise<void> {
    const { counts, done } = await this.reserve();
    let failed = true;
    try {
      await flushUsage(db, counts);
      failed = false;
    } finally {
      done(failed);
    }
  }

  /**
   * Workers: called under `waitUntil` after each response. Writes now when due; otherwise the
   * first request of a quiet spell keeps its isolate's background work open until the counts
   * are due and writes them then, so a quiet isolate's counts do not wait for the next request.
   */
  async settle(db: Db): Promise<void> {
    if (this.empty) return;
    if (this.due()) return this.flush(db);
    if (this.timerArmed || this.oldestAt === undefined) return;
    this.timerArmed = true;
    try {
      await this.sleep(Math.max(0, this.oldestAt + this.options.flushAfterMs - this.now()));
    } finally {
      this.timerArmed = false;
    }
    await this.flush(db);
  }

  /**
   * Node/Bun (no `waitUntil`): after a response, write only when the request count says so, or
   * after every request with a flush delay of 0. The age of the counts is the timer's business.
   */
  nudge(db: Db): void {
    const due = this.pendingRequests >= this.flushAtRequests || (this.options.flushAfterMs === 0 && !this.empty);
    if (!due) return;
    this.flush(db).catch((err: unknown) =>
      this.options.logger?.warn('could not write usage counts; kept for the next try', { error: String(err) }),
    );
  }
}
