import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { probeLocalSqlite } from '../support/node/local-sqlite-probe';
import { BUN, ROOT } from '../support/node/servers';

// The synchronous local drivers (src/db/local-sqlite.ts) behind the same drizzle Db: `libsql`'s on
// Node, `bun:sqlite` on Bun. The same probe runs on both and must answer the same, value and type.
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imageapi-local-sqlite-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function probeOnBun(file: string): Promise<Record<string, unknown>> {
  const probe = join(ROOT, 'test/support/node/local-sqlite-probe.ts');
  const script = `import { probeLocalSqlite } from ${JSON.stringify(probe)};
    process.stdout.write(JSON.stringify(await probeLocalSqlite(${JSON.stringify(file)})));`;
  const { stdout } = await promisify(execFile)(BUN, ['--eval', script], { cwd: ROOT });
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('local SQLite drivers', () => {
  it('answer the same on Node (libsql) and Bun (bun:sqlite): integers, booleans, odd text, batches, group commits', async () => {
    const node = await probeLocalSqlite(join(dir, 'node.db'));
    const bun = await probeOnBun(join(dir, 'bun.db'));

    expect(node.session).toBe('BetterSQLiteSession');
    expect(bun.session).toBe('SQLiteBunSession');
    const { session: _n, ...nodeAnswers } = JSON.parse(JSON.stringify(node)) as Record<string, unknown>;
    const { session: _b, ...bunAnswers } = bun;
    expect(bunAnswers).toEqual(nodeAnswers);

    // And what they both answer is right (as on D1): exact integers as numbers, booleans mapped.
    expect(node.user).toMatchObject({
      createdAt: ['number', 1_764_337_000_123, true],
      tokenVersion: ['number', 0, true],
    });
    const { first, second, count } = node.writeBatch as Record<string, unknown[]>;
    expect(first?.[0]).toMatchObject({
      size: ['number', 2 ** 40, true],
      verified: ['boolean', true, false],
      width: ['number', 4000, true],
      height: ['object', null, false],
      name: ['string', 'zoë 😀 e\u0301 \uFFFD \u0001x \t"\'\\', false],
    });
    expect(second?.[0]).toMatchObject({ verified: ['boolean', false, false] });
    expect(count?.[0]).toEqual({ n: ['number', 2, true], total: ['number', 2 ** 41, true] });
    expect(node.allOrNothing).toEqual({
      failed: ['string', 'rejected', false],
      after: { tokenVersion: ['number', 0, true] },
    });
    expect(node.groupCommit).toEqual({
      outcomes: [
        [{ tokenVersion: ['number', 1, true] }],
        ['boolean', true, false],
        [{ tokenVersion: ['number', 2, true] }],
      ],
      commits: ['number', 1, true],
      rolledBack: [{ n: ['number', 0, true] }],
    });
    expect(node.committedAtClose).toEqual([{ n: ['number', 1, true] }]);
    expect(node.cascade).toEqual([{ n: ['number', 0, true] }]);
  }, 60_000);
});
