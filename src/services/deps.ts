import type { Config } from '../config';
import type { Db } from '../db/client';
import type { Logger } from '../lib/logger';
import type { ImageStore } from '../storage/image-store';
import type { ImageTransformer } from '../transform/transformer';
import type { UsageRecorder } from './usage-recorder';

/** What the services need from the runtime; the app's `Deps` (src/http/deps.ts) adds the HTTP side. */
export interface ServiceDeps {
  db: Db;
  store: ImageStore;
  /** Makes variants: the Images binding on Workers, sharp on Node and Bun. */
  transformer: ImageTransformer;
  config: Config;
  clock: () => Date;
  logger: Logger;
  /** Per-day usage counts waiting to be written (one per isolate/process). */
  usage: UsageRecorder;
}
