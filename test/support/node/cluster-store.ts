/**
 * The byte store every server of the cluster test shares: a bucket on moto_server, reached by
 * the servers through their S3 store (S3_BUCKET, S3_ENDPOINT, …) and by the test through the
 * same store, behind the servers' backs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImageStore } from '../../../src/storage/image-store';
import { s3Store } from '../../../src/storage/s3';
import { startMoto } from './moto';

export interface ClusterStore {
  /** What each server is started with to use the store. */
  env: Record<string, string>;
  /** A scratch directory the servers run in (no .env there, nothing stored there). */
  workDir: string;
  imageStore(): ImageStore;
  allKeys(): Promise<Set<string>>;
  /** Stores bytes no row points at; returns their key. */
  putOrphan(): Promise<string>;
  exists(key: string): Promise<boolean>;
  stop(): Promise<void>;
}

export async function startClusterStore(): Promise<ClusterStore> {
  const moto = await startMoto();
  try {
    const { settings, env } = await moto.bucket();
    const workDir = await mkdtemp(join(tmpdir(), 'imageapi-cluster-'));
    const store = s3Store(settings);
    return {
      env: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)),
      workDir,
      imageStore: () => store,
      allKeys: () => listAll(store),
      putOrphan: async () => {
        const key = `orphan-${crypto.randomUUID()}`;
        await store.put(key, new Blob([crypto.getRandomValues(new Uint8Array(64))]), {
          contentType: 'application/octet-stream',
          size: 64,
        });
        return key;
      },
      exists: async (key) => {
        const found = await store.get(key);
        await found?.body.cancel();
        return found !== null;
      },
      stop: async () => {
        await moto.stop();
        await rm(workDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await moto.stop();
    throw err;
  }
}

export async function listAll(store: ImageStore): Promise<Set<string>> {
  const keys = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await store.list({ cursor, limit: 1000 });
    for (const o of page.objects) keys.add(o.key);
    cursor = page.cursor;
  } while (cursor);
  return keys;
}
