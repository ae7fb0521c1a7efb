#!/usr/bin/env node
// `npm start`: a local Workers dev server on :8000 with local D1/R2 under .wrangler/.
// Creates a random AUTH_SECRET in the git-ignored .dev.vars on first run, applies the
// migrations to the local D1, then hands over to `wrangler dev` (whose `[build]` step in
// wrangler.toml copies Swagger UI's files into the static-assets directory). Extra arguments go
// to `wrangler dev`, e.g. `npm start -- --port 8787 --persist-to /tmp/imageapi --var NAME:value`
// (docs/self-hosting.md, "Local settings").
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';

// The local runtime would otherwise fetch a sample `request.cf` from workers.cloudflare.com at
// start, and print a stack trace when offline; the app reads nothing from `request.cf`, so the
// built-in placeholder serves. Setting CLOUDFLARE_CF_FETCH_ENABLED=true brings the fetch back.
const env = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? 'false',
};
const wrangler = (args, opts = {}) => spawnSync('npx', ['wrangler', ...args], { stdio: 'inherit', env, ...opts });

const devVars = '.dev.vars';
const current = existsSync(devVars) ? readFileSync(devVars, 'utf8') : '';
if (!/^AUTH_SECRET=/m.test(current)) {
  const line = `AUTH_SECRET=${randomBytes(32).toString('hex')}\n`;
  if (current === '') writeFileSync(devVars, line, { mode: 0o600 });
  else appendFileSync(devVars, (current.endsWith('\n') ? '' : '\n') + line);
  console.log('Created a random local AUTH_SECRET in .dev.vars');
}

// `wrangler dev --persist-to DIR` keeps its local D1 there: migrate that one, not the default.
const args = process.argv.slice(2);
const persistAt = args.findIndex((a) => a === '--persist-to' || a.startsWith('--persist-to='));
const persistTo =
  persistAt < 0 ? [] : args[persistAt].includes('=') ? [args[persistAt]] : args.slice(persistAt, persistAt + 2);

const migrated = wrangler(['d1', 'migrations', 'apply', 'DB', '--local', ...persistTo]);
if (migrated.status !== 0) process.exit(migrated.status ?? 1);

// `--test-scheduled` serves GET /__scheduled (local only), which runs the cron handler:
//   curl -f "http://localhost:8000/__scheduled?cron=17+*+*+*+*"
// The trigger wrangler suggests otherwise, /cdn-cgi/handler/scheduled, answers 500 here: with
// `[assets]` configured, wrangler 4.86's local runtime sends it to the static-assets router,
// which has no scheduled handler, instead of to this Worker (deployed crons are unaffected).
// With `[secrets] required` in wrangler.toml, wrangler takes only those secrets from .dev.vars
// and ignores every other line there. A setting written there (say USAGE_FLUSH_SECONDS=0) is
// meant for this server too: pass it as `--var`, before the command line's own (which win).
const secrets = new Set(['AUTH_SECRET']);
const devVarsArgs = readFileSync(devVars, 'utf8')
  .split('\n')
  .map((line) => /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line))
  .filter((m) => m !== null && !secrets.has(m[1]))
  .flatMap(([, name, value]) => ['--var', `${name}:${value.replace(/^(["'])(.*)\1$/, '$2')}`]);
if (devVarsArgs.length > 0) {
  console.log(
    `Settings from .dev.vars: ${devVarsArgs
      .filter((_, i) => i % 2)
      .map((v) => v.split(':')[0])
      .join(', ')}`,
  );
}
const dev = spawn('npx', ['wrangler', 'dev', '--test-scheduled', ...devVarsArgs, ...args], { stdio: 'inherit', env });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => dev.kill(signal));
dev.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
