import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type LibsqlDatabase, openLibsql } from '../../../src/db/libsql';
import { expectExactRoundTrip, expectLargePage, expectSessionRows } from '../../support/list-page-cases';

// The list's one statement on both Node/Bun drivers (the same checks on D1: test/images/list/list-page-read.workers.test.ts).
describe.each([
  ['the local synchronous driver', true],
  ['@libsql/client', false],
])('list page read through %s', (_name, serveSynchronously) => {
  const dir = mkdtempSync(join(tmpdir(), 'imageapi-list-page-'));
  let database: LibsqlDatabase;
  beforeAll(async () => {
    database = await openLibsql({ url: `file:${join(dir, 'list.db')}`, serveSynchronously });
  });
  afterAll(() => {
    database?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives every field exactly as a plain select, for every filter shape', () =>
    expectExactRoundTrip(database.db, 'roundtrip@example.com'));
  it('carries the session check for tokens and keys', () => expectSessionRows(database.db, 'session@example.com'));
  it('reads a page past D1’s 2 MB value limit', () => expectLargePage(database.db, 'large@example.com'));
});
