import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ADMIN_EMAILS_IGNORED } from '../../src/services/admin';
import { bearer, newUser } from '../support/client';
import { dataDir, httpTarget, memoryLogger, ROOT, startInProcess, TSX } from '../support/node/servers';
import { CLAIMED_ADMIN_EMAIL } from '../support/operator';

/** `npm run operator -- …` as an operator types it, against the server's database. */
function operatorCommand(databaseUrl: string, ...args: string[]) {
  const run = spawnSync(TSX, [join(ROOT, 'scripts/operator.ts'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: databaseUrl },
    encoding: 'utf8',
  });
  return { status: run.status, out: `${run.stdout}${run.stderr}` };
}

it('grants and revokes operator rights with the operator command; ADMIN_EMAILS grants nothing and is warned about', async () => {
  const data = await dataDir();
  const logger = memoryLogger();
  const server = await startInProcess(data.env, logger);
  try {
    expect(data.env.ADMIN_EMAILS).toBe(CLAIMED_ADMIN_EMAIL);
    expect(logger.lines).toContainEqual(expect.objectContaining({ level: 'warn', message: ADMIN_EMAILS_IGNORED }));
    const target = httpTarget('node', server.origin);
    const user = await newUser(target, 'operator-command');
    const admin = () => target.fetch('/api/v1/admin/usage?limit=1', { headers: bearer(user) });
    const url = data.env.DATABASE_URL as string;
    expect((await admin()).status).toBe(403);

    const granted = operatorCommand(url, 'grant', user.email.toUpperCase());
    expect(granted, granted.out).toMatchObject({ status: 0 });
    expect((await admin()).status).toBe(200);
    expect(operatorCommand(url, 'list').out.trim()).toBe(user.email);

    expect(operatorCommand(url, 'revoke', user.email).status).toBe(0);
    expect((await admin()).status).toBe(403);
    expect(operatorCommand(url, 'list').out.trim()).toBe('');

    const unknown = operatorCommand(url, 'grant', 'nobody@example.com');
    expect(unknown.status).toBe(1);
    expect(unknown.out).toMatch(/no user has the email/);
    expect(operatorCommand(url, 'promote', user.email).status).toBe(2);
  } finally {
    await server.shutdown('test done');
    await data.remove();
  }
});
