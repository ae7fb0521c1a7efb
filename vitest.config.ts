import { randomBytes } from 'node:crypto';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { prepareDocsAssets } from './scripts/docs-assets.mjs';
import { buildWebApp } from './scripts/web-build.mjs';
import { scenarioFilesRunOnWorkers } from './test/support/workers/scenario-files.ts';

export default defineConfig(async () => {
  const migrations = await readD1Migrations('./drizzle');
  // wrangler.toml's `[assets]` directory must exist before the Workers pool reads the config.
  prepareDocsAssets();
  // The web app's build goes in the same directory; the Node servers in tests serve it too.
  buildWebApp();
  // Tests live in one folder per feature (test/<feature>/); the file name's suffix says where a
  // file runs: *.scenario.ts on all three runtimes (workers here, Node and Bun through
  // test/runtime/scenarios-on-*.node.test.ts), *.workers.test.ts in workerd, *.node.test.ts in
  // plain Node, *.resources.test.ts against live servers. Helpers live in test/support/.
  return {
    test: {
      projects: [
        {
          // Inside workerd (miniflare) with real D1/R2 bindings from wrangler.toml.
          plugins: [
            scenarioFilesRunOnWorkers(),
            cloudflareTest({
              main: './src/index.ts',
              wrangler: { configPath: './wrangler.toml' },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  // A fresh secret per run: none is ever committed.
                  AUTH_SECRET: randomBytes(32).toString('hex'),
                  // Retired: set to prove that registering the address grants nothing
                  // (test/support/operator.ts CLAIMED_ADMIN_EMAIL, admin.scenario.ts).
                  ADMIN_EMAILS: 'claimed-admin@example.com',
                  // Each test request waits for its waitUntil work: write usage at once instead of
                  // holding every request open for the flush delay. Aggregation is tested with
                  // its own clock in test/usage/usage-recorder.workers.test.ts.
                  USAGE_FLUSH_SECONDS: '0',
                  // The scenarios send bodies just over the upload limit; 20 MiB (the default
                  // is 100 MiB) keeps that cheap. The same on Node and Bun (serverEnv).
                  MAX_UPLOAD_BYTES: String(20 * 1024 * 1024),
                  // The slow-client scenarios wait out this idle timeout (default 30 s).
                  BODY_IDLE_SECONDS: '5',
                  // Every Workers test runs through per-request D1 sessions (wrangler.toml has it
                  // off): miniflare answers real bookmarks from its one database.
                  D1_READ_REPLICATION: 'on',
                },
                // An empty second database for test/migrations/migrations-keep-rows.workers.test.ts,
                // which applies the migrations one at a time (the setup file has already migrated DB).
                d1Databases: { MIGRATIONS_DB: 'migrations-check' },
              },
            }),
          ],
          test: {
            name: 'workers',
            // Scenarios register users (PBKDF2 at 100,000 iterations) and move real bytes through
            // miniflare; on a shared 2-core machine that can pass vitest's 5 s default.
            testTimeout: 30_000,
            hookTimeout: 60_000,
            // Every scenario file is also a Workers test file (test/support/workers/scenario-files.ts).
            include: ['test/**/*.workers.test.ts', 'test/**/*.scenario.ts'],
            setupFiles: ['./test/support/workers/apply-migrations.ts'],
          },
        },
        {
          // Plain Node: real servers on loopback ports (Node and Bun runtimes), tooling checks.
          test: {
            name: 'node',
            environment: 'node',
            include: ['test/**/*.node.test.ts'],
            testTimeout: 30_000,
            hookTimeout: 60_000,
          },
        },
        {
          // Attacks on live servers (Node, Bun, workerd under wrangler dev) with a memory watchdog:
          // test/limits/resources/attacks.ts. Each file starts its own server as a separate process.
          test: {
            name: 'resources',
            environment: 'node',
            include: ['test/**/*.resources.test.ts'],
            testTimeout: 60_000,
            // wrangler dev builds and starts workerd before the first attack.
            hookTimeout: 150_000,
          },
        },
      ],
    },
  };
});
