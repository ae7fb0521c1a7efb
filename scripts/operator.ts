// Grants and revokes operator rights (the admin API): the only way anyone becomes an operator.
// Registering an address proves nothing; this runs where the server's data is.
//
//   npm run operator -- grant <email>                 the Node/Bun database (DATABASE_URL, or .env)
//   npm run operator -- revoke <email>
//   npm run operator -- list
//   npm run operator -- grant <email> --local-d1      the local D1 of `npm start` (wrangler dev)
//   npm run operator -- grant <email> --local-d1 --persist-to DIR   …started with --persist-to DIR
//   npm run operator -- grant <email> --remote-d1     the deployed D1 (after `wrangler login`)
//   npx bun scripts/operator.ts grant <email>         the same under Bun
//
// Safe while the server runs: the next request of that user sees the change. On D1 the command
// is SQL run through `wrangler d1 execute`, which binds no parameters: the email is quoted here.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { openLibsql } from '../src/db/libsql';
import { loadSettings } from '../src/runtime/settings';
import { normalizeEmail } from '../src/services/accounts';
import { operatorEmails, setOperator } from '../src/services/admin';

const usage =
  'usage: npm run operator -- grant <email> | revoke <email> | list  [--local-d1 [--persist-to DIR] | --remote-d1]';
const args = process.argv.slice(2);
const flag = (name: string) => {
  const at = args.indexOf(name);
  if (at >= 0) args.splice(at, 1);
  return at >= 0;
};
const option = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args.splice(at, 2)[1] : undefined;
};
const localD1 = flag('--local-d1');
const remoteD1 = flag('--remote-d1');
const persistTo = option('--persist-to');
const [command, email, ...rest] = args;
if (
  !(command === 'list' ? email === undefined : (command === 'grant' || command === 'revoke') && email) ||
  rest.length > 0 ||
  (localD1 && remoteD1) ||
  (persistTo !== undefined && !localD1)
) {
  console.error(usage);
  process.exit(2);
}

const done = (granted: boolean) =>
  console.log(`${granted ? 'granted operator rights to' : 'revoked operator rights of'} ${email}`);
const noSuchUser = () => {
  console.error(`no user has the email ${email}: register it first`);
  process.exitCode = 1;
};

if (localD1 || remoteD1) {
  await onD1(remoteD1 ? ['--remote'] : ['--local', ...(persistTo ? ['--persist-to', persistTo] : [])]);
} else {
  await onLibsql();
}

/** The same change through `wrangler d1 execute`, on the D1 binding `DB` of wrangler.toml. */
async function onD1(where: string[]) {
  const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;
  const sql =
    command === 'list'
      ? 'SELECT email FROM users WHERE is_operator = 1 ORDER BY email'
      : `UPDATE users SET is_operator = ${command === 'grant' ? 1 : 0}, updated_at = ${Date.now()} ` +
        `WHERE email = ${quote(normalizeEmail(email as string))} RETURNING id`;
  const run = spawnSync('npx', ['wrangler', 'd1', 'execute', 'DB', ...where, '--json', '--command', sql], {
    encoding: 'utf8',
    env: { ...process.env, WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? 'false' },
  });
  if (run.status !== 0) {
    process.stderr.write(run.stderr + run.stdout);
    process.exit(run.status ?? 1);
  }
  const [result] = JSON.parse(run.stdout) as { results: Record<string, unknown>[] }[];
  const rows = result?.results ?? [];
  if (command === 'list') for (const row of rows) console.log(row.email);
  else if (rows.length > 0) done(command === 'grant');
  else noSuchUser();
}

/** The Node/Bun database, read from DATABASE_URL as the server does. */
async function onLibsql() {
  // Bun reads .env itself; Node does here, as the server does (never overriding the environment).
  if (!('Bun' in globalThis) && existsSync('.env')) process.loadEnvFile('.env');
  // Nothing is signed here: a placeholder stands in when AUTH_SECRET is not set.
  const settings = loadSettings({ AUTH_SECRET: 'operator-needs-no-secret-'.padEnd(32, '-'), ...process.env });
  const database = await openLibsql({
    url: settings.databaseUrl,
    authToken: settings.databaseAuthToken,
    primaryUrl: settings.databasePrimaryUrl,
  });
  const deps = { db: database.db, clock: () => new Date() };
  try {
    if (command === 'list') {
      for (const e of await operatorEmails(deps)) console.log(e);
    } else if (await setOperator(deps, email as string, command === 'grant')) {
      done(command === 'grant');
    } else {
      noSuchUser();
    }
  } finally {
    database.close();
  }
}
