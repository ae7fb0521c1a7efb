/**
 * The byte store every server of the cluster test shares.
 * TODO(s3 merge): moto_server and the S3 store; until then one directory on this machine.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fsStore } from '../../../src/storage/fs';
import type { ImageStore } from '../../../src/storage/image-store';

export interface ClusterStore {
  /** What each server is started with to use the store. */
  env: Record<string, string>;
  /** A scratch directory the servers run in (no .env there). */
  workDir: string;
  imageStore(): ImageStore;
  allKeys(): Promise<Set<string>>;
  /** Stores bytes no row points at; returns their key. */
  putOrphan(): Promise<string>;
  exists(key: string): Promise<boolean>;
  stop(): Promise<void>;
}

export async function startClusterStore(): Promise<ClusterStore> {
  const workDir = await mkdtemp(join(tmpdir(), 'imageapi-cluster-'));
  const imagesDir = join(workDir, 'images');
  const store = () => fsStore(imagesDir);
  return {
    env: { IMAGES_DIR: imagesDir },
    workDir,
    imageStore: store,
    allKeys: () => listAll(store()),
    putOrphan: async () => {
      const key = `orphan-${crypto.randomUUID()}`;
      await store().put(key, new Blob([crypto.getRandomValues(new Uint8Array(64))]), {
        contentType: 'application/octet-stream',
        size: 64,
      });
      return key;
    },
    exists: async (key) => (await store().get(key)) !== null,
    stop: () => rm(workDir, { recursive: true, force: true }),
  };
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
