import { env } from 'cloudflare:workers';
import { describe, it } from 'vitest';
import { d1Database } from '../../../src/db/client';
import { expectExactRoundTrip, expectLargePage, expectSessionRows } from '../../support/list-page-cases';

// The list's one statement on D1 (the same checks on libsql: test/images/list/list-page-read.node.test.ts).
describe('list page read on D1', () => {
  const db = d1Database(env.DB);
  it('gives every field exactly as a plain select, for every filter shape', () =>
    expectExactRoundTrip(db, 'roundtrip@example.com'));
  it('carries the session check for tokens and keys', () => expectSessionRows(db, 'session@example.com'));
  it('reads a page past D1’s 2 MB value limit', () => expectLargePage(db, 'large@example.com'));
});
