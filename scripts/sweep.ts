// One housekeeping run against the Node/Bun data, outside the server: removes stored image
// bytes that no row points at (older than an hour), a bounded slice per run, resuming where the
// last run stopped (the cursor is in the database, shared with the server's own hourly runs).
//
//   npm run sweep                 one run (what the server does every hour)
//   npm run sweep -- --all        runs until the pass over the images directory is complete
//   npx bun scripts/sweep.ts [--all]  the same under Bun
//
// Reads DATABASE_URL and IMAGES_DIR like the server (environment, or .env). Safe while the
// server runs. On Workers the cron does this; locally, `npm start` serves
//   curl -f "http://localhost:8000/__scheduled?cron=17+*+*+*+*"
import { existsSync } from 'node:fs';
import { openLibsql } from '../src/db/libsql';
import { consoleLogger } from '../src/lib/logger';
import { loadSettings } from '../src/runtime/settings';
import { type SweepResult, sweepOrphanBytes } from '../src/services/housekeeping';
import { fsStore } from '../src/storage/fs/fs-store';

const all = process.argv.includes('--all');
// Bun reads .env itself; Node does here, as the server does (never overriding the environment).
if (!('Bun' in globalThis) && existsSync('.env')) process.loadEnvFile('.env');
// The sweep signs nothing: a placeholder stands in when AUTH_SECRET is not set.
const settings = loadSettings({ AUTH_SECRET: 'sweep-needs-no-secret-'.padEnd(32, '-'), ...process.env });
const database = await openLibsql({
  url: settings.databaseUrl,
  authToken: settings.databaseAuthToken,
  primaryUrl: settings.databasePrimaryUrl,
});
try {
  const deps = { db: database.db, store: fsStore(settings.imagesDir), clock: () => new Date(), logger: consoleLogger };
  const total: SweepResult = { scanned: 0, deleted: 0, pages: 0, passComplete: false };
  do {
    const run = await sweepOrphanBytes(deps);
    total.scanned += run.scanned;
    total.deleted += run.deleted;
    total.pages += run.pages;
    total.passComplete = run.passComplete;
  } while (all && !total.passComplete);
  consoleLogger.info('housekeeping sweep', { ...total, images_dir: deps.store.root });
} finally {
  database.close();
}
