// Grants and revokes operator rights (the admin API) on the Node/Bun data: the only way anyone
// becomes an operator. Registering an address proves nothing; this runs on the server's host.
//
//   npm run operator -- grant <email>
//   npm run operator -- revoke <email>
//   npm run operator -- list
//   bun scripts/operator.ts grant <email>     the same under Bun
//
// Reads DATABASE_URL like the server (environment, or .env). Safe while the server runs: the
// next request of that user sees the change. On D1 the equivalent is SQL (README, "Operators").
import { existsSync } from 'node:fs';
import { openLibsql } from '../src/db/libsql';
import { loadSettings } from '../src/runtime/settings';
import { operatorEmails, setOperator } from '../src/services/admin';

const [command, email] = process.argv.slice(2);
const usage = 'usage: npm run operator -- grant <email> | revoke <email> | list';
if (!(command === 'list' || ((command === 'grant' || command === 'revoke') && email))) {
  console.error(usage);
  process.exit(2);
}
// Bun reads .env itself; Node does here, as the server does (never overriding the environment).
if (!('Bun' in globalThis) && existsSync('.env')) process.loadEnvFile('.env');
// Nothing is signed here: a placeholder stands in when AUTH_SECRET is not set.
const settings = loadSettings({ AUTH_SECRET: 'operator-needs-no-secret-'.padEnd(32, '-'), ...process.env });
const database = await openLibsql({ url: settings.databaseUrl, authToken: settings.databaseAuthToken });
const deps = { db: database.db, clock: () => new Date() };
try {
  if (command === 'list') {
    for (const e of await operatorEmails(deps)) console.log(e);
  } else if (await setOperator(deps, email as string, command === 'grant')) {
    console.log(`${command === 'grant' ? 'granted operator rights to' : 'revoked operator rights of'} ${email}`);
  } else {
    console.error(`no user has the email ${email}: register it first`);
    process.exitCode = 1;
  }
} finally {
  database.close();
}
