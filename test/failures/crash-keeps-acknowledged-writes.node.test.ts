/**
 * Crash safety on one host: a real server (Node through tsx, or Bun) takes a stream of
 * concurrent uploads, deletes and tag edits, is killed with SIGKILL in the middle of it and
 * restarted on the same data. Whatever it acknowledged must still hold, nothing may point at
 * missing or partial bytes, and the orphan sweep must remove bytes the crash left without a row.
 *
 * SIGKILL ends the process, not the kernel: written pages survive it, so this proves the order
 * of the steps (bytes renamed into place before the rows commit, rows before the answer), not
 * the fsyncs, which only a power cut would test.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLibsql } from '../../src/db/libsql';
import { images } from '../../src/db/schema';
import { sweepOrphanBytes } from '../../src/services/housekeeping';
import { fsStore } from '../../src/storage/fs/fs-store';
import { bearer, json, newUser, type TestUser } from '../support/client';
import { noisePng } from '../support/images';
import { filesUnder, isTempFile } from '../support/node/files';
import {
  type ChildServer,
  dataDir,
  type EntryRuntime,
  httpTarget,
  killTree,
  memoryLogger,
  spawnEntry,
} from '../support/node/servers';
import type { Target } from '../support/target';
import { uploadRaw } from '../support/upload';

const TRAFFIC_MS = { min: 1_500, max: 2_500 };
const WORKERS = 6;
const TAG_POOL = ['red', 'green', 'blue', 'cat', 'dog', 'sky'];

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;
const someTags = () => TAG_POOL.filter(() => Math.random() < 0.35);

interface Known {
  id: number;
  user: TestUser;
  sha256: string;
  /** The tags of the last acknowledged upload or edit. */
  tags: string[];
  /** An edit sent but not answered when the server died: it may or may not have applied. */
  pendingTags?: string[];
  deleted: 'no' | 'acknowledged' | 'in-flight';
}

/** An upload sent but not answered: it may or may not have been stored. */
interface PendingUpload {
  user: TestUser;
  sha256: string;
  tags: string[];
}

interface Ledger {
  known: Map<number, Known>;
  pendingUploads: PendingUpload[];
  serverErrors: string[];
  acknowledged: { uploads: number; deletes: number; edits: number };
}

/** Runs traffic until `stop` is set; one operation per image at a time keeps the ledger exact. */
async function traffic(target: Target, users: TestUser[], ledger: Ledger, stopped: () => boolean) {
  const busy = new Set<number>();
  const idle = (user: TestUser) =>
    [...ledger.known.values()].filter((k) => k.user === user && k.deleted === 'no' && !busy.has(k.id));

  const check5xx = (what: string, status: number) => {
    if (status >= 500) ledger.serverErrors.push(`${what}: ${status}`);
  };

  async function upload(user: TestUser) {
    const bytes = await noisePng(20 + Math.floor(Math.random() * 80), 20 + Math.floor(Math.random() * 80));
    const sent: PendingUpload = { user, sha256: sha256(bytes), tags: someTags() };
    ledger.pendingUploads.push(sent);
    const res = await uploadRaw(target, user, bytes, { tags: sent.tags });
    check5xx('upload', res.status);
    if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
    const body = (await res.json()) as { id: number; sha256: string; tags: string[] };
    expect(body.sha256).toBe(sent.sha256);
    ledger.pendingUploads.splice(ledger.pendingUploads.indexOf(sent), 1);
    ledger.known.set(body.id, { id: body.id, user, sha256: sent.sha256, tags: body.tags, deleted: 'no' });
    ledger.acknowledged.uploads++;
  }

  async function remove(image: Known) {
    image.deleted = 'in-flight';
    const res = await target.fetch(`/api/v1/images/${image.id}`, { method: 'DELETE', headers: bearer(image.user) });
    check5xx('delete', res.status);
    if (res.status !== 204) throw new Error(`delete ${image.id}: ${res.status} ${await res.text()}`);
    image.deleted = 'acknowledged';
    ledger.acknowledged.deletes++;
  }

  async function editTags(image: Known) {
    const tags = someTags();
    image.pendingTags = tags;
    const res = await target.fetch(
      `/api/v1/images/${image.id}/tags`,
      json({ tags }, { method: 'PUT', headers: bearer(image.user) }),
    );
    check5xx('tag edit', res.status);
    if (res.status !== 200) throw new Error(`tags ${image.id}: ${res.status} ${await res.text()}`);
    image.tags = ((await res.json()) as { tags: string[] }).tags;
    image.pendingTags = undefined;
    ledger.acknowledged.edits++;
  }

  async function worker(n: number) {
    const user = users[n % users.length] as TestUser;
    while (!stopped()) {
      const roll = Math.random();
      const candidates = idle(user);
      const image = candidates.length ? pick(candidates) : undefined;
      if (!image || roll < 0.5) {
        await upload(user);
        continue;
      }
      busy.add(image.id);
      try {
        if (roll < 0.65) await remove(image);
        else await editTags(image);
      } finally {
        busy.delete(image.id);
      }
    }
  }

  // After the kill every request in flight fails; before it, none may.
  const results = await Promise.allSettled(Array.from({ length: WORKERS }, (_, n) => worker(n)));
  return results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
}

async function listAll(target: Target, user: TestUser) {
  const all: { id: number; sha256: string; size: number; tags: string[] }[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `limit=200&cursor=${encodeURIComponent(cursor)}` : 'limit=200';
    const res = await target.fetch(`/api/v1/images?${query}`, { headers: bearer(user) });
    expect(res.status).toBe(200);
    const page = (await res.json()) as { items: typeof all; next_cursor: string | null };
    all.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return all;
}

describe.each<EntryRuntime>(['node', 'bun'])('crash safety on %s', (runtime) => {
  it('keeps every acknowledged write across a SIGKILL mid-stream, and leaves nothing torn', async () => {
    const data = await dataDir();
    const imagesDir = data.env.IMAGES_DIR as string;
    let server: ChildServer | undefined;
    try {
      server = await spawnEntry(runtime, data.env, data.dir);
      const first = httpTarget(runtime, server.origin);
      const users = [await newUser(first, 'crash-a'), await newUser(first, 'crash-b')];
      const ledger: Ledger = {
        known: new Map(),
        pendingUploads: [],
        serverErrors: [],
        acknowledged: { uploads: 0, deletes: 0, edits: 0 },
      };

      let killed = false;
      const victim = server;
      const trafficMs = TRAFFIC_MS.min + Math.random() * (TRAFFIC_MS.max - TRAFFIC_MS.min);
      const killer = setTimeout(() => {
        killed = true;
        killTree(victim);
      }, trafficMs);
      const failures = await traffic(first, users, ledger, () => killed);
      clearTimeout(killer);
      expect((await victim.exited).signal).toBe('SIGKILL');
      // Every failure came from the kill (a connection cut), none was an answer we did not expect.
      expect(ledger.serverErrors).toEqual([]);
      // fetch rejects with a TypeError when the connection is cut; anything else is a finding.
      for (const f of failures) expect(f, String(f)).toBeInstanceOf(TypeError);
      expect(ledger.acknowledged.uploads).toBeGreaterThan(5);
      expect(ledger.acknowledged.deletes + ledger.acknowledged.edits).toBeGreaterThan(0);

      // Same data, same secret: the tokens issued before the crash still work.
      server = await spawnEntry(runtime, data.env, data.dir);
      const second = httpTarget(runtime, server.origin);
      for (const user of users) {
        const listed = await listAll(second, user);
        const byId = new Map(listed.map((i) => [i.id, i]));
        for (const image of ledger.known.values()) {
          if (image.user !== user) continue;
          const row = byId.get(image.id);
          if (image.deleted === 'acknowledged') {
            expect(row, `deleted image ${image.id} is listed`).toBeUndefined();
            const res = await second.fetch(`/api/v1/images/${image.id}`, { headers: bearer(user) });
            expect(res.status).toBe(404);
            await res.body?.cancel();
            continue;
          }
          if (image.deleted === 'in-flight' && !row) continue; // the delete committed before the kill
          expect(row, `acknowledged image ${image.id} is missing`).toBeDefined();
          if (!row) continue;
          expect(row.sha256).toBe(image.sha256);
          // The last acknowledged tags, unless a later edit was in flight and may have applied.
          const allowed = [image.tags, ...(image.pendingTags ? [image.pendingTags] : [])];
          expect(allowed, `tags of ${image.id}`).toContainEqual(row.tags);
        }
        // Anything else listed is an upload whose answer the crash cut off: it must be whole.
        for (const row of listed) {
          if (ledger.known.has(row.id)) continue;
          const sent = ledger.pendingUploads.find((p) => p.user === user && p.sha256 === row.sha256);
          expect(sent, `image ${row.id} matches no upload that was sent`).toBeDefined();
          expect(row.tags).toEqual(sent?.tags);
        }
        // No row points at missing or partial bytes: every listed file reads back whole.
        for (const row of listed) {
          const res = await second.fetch(`/api/v1/images/${row.id}/file`, { headers: bearer(user) });
          expect(res.status, `file of ${row.id}`).toBe(200);
          const bytes = new Uint8Array(await res.arrayBuffer());
          expect(bytes.length).toBe(row.size);
          expect(sha256(bytes)).toBe(row.sha256);
        }
      }
      expect(await server.stop()).toEqual({ code: 0, signal: null });
      server = undefined;

      // On disk: no torn file (every row's file has its size and hash), then the sweep removes
      // whatever bytes have no row, including one planted here so the check cannot pass empty.
      const planted = join(imagesDir, 'images', randomUUID());
      await writeFile(planted, 'bytes a crash left behind');
      const database = await openLibsql({ url: data.env.DATABASE_URL as string });
      try {
        const rows = await database.db
          .select({ key: images.storageKey, size: images.size, sha256: images.sha256 })
          .from(images);
        const rowPaths = new Set<string>();
        for (const row of rows) {
          const path = join(imagesDir, ...row.key.split('/'));
          rowPaths.add(path);
          expect((await stat(path)).size, `size of ${row.key}`).toBe(row.size);
          expect(sha256(await readFile(path))).toBe(row.sha256);
        }
        const before = (await filesUnder(imagesDir)).filter((p) => !isTempFile(p));
        const orphans = before.filter((p) => !rowPaths.has(p));
        expect(orphans).toContain(planted);

        const store = fsStore(imagesDir);
        const swept = await sweepOrphanBytes(
          { db: database.db, store, clock: () => new Date(Date.now() + 1_000), logger: memoryLogger() },
          { graceMs: 0, pages: 1_000 },
        );
        expect(swept.deleted).toBe(orphans.length);
        await store.removeStaleTempFiles(0);
        expect((await filesUnder(imagesDir)).sort()).toEqual([...rowPaths].sort());
      } finally {
        database.close();
      }
    } finally {
      if (server) {
        killTree(server);
        await server.exited;
      }
      await data.remove();
    }
  }, 60_000);
});
