import { randomUUID } from 'node:crypto';
import { access, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { MultipartStore, StoredObjectInfo, UploadedPart } from '../image-store';
import { closeFile, openFile, readAt } from './descriptors';
import { etagOf, statBig } from './file-info';
import type { Folders } from './folders';
import { InvalidKeyError } from './keys';
import { putFile } from './put-file';

/** Where multipart uploads keep their parts, under the root; dot-named, so never listed as a key. */
const STAGING = '.multipart';
const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const READ_CHUNK = 64 * 1024;

/** The files one after another, a chunk at a time as the consumer asks: never a whole part in memory. */
function concatFiles(files: { path: string; size: number }[]): ReadableStream<Uint8Array> {
  let index = 0;
  let position = 0;
  let fd: number | undefined;
  const release = async () => {
    const f = fd;
    fd = undefined;
    if (f !== undefined) await closeFile(f).catch(() => {});
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          for (;;) {
            const file = files[index];
            if (!file) return controller.close();
            if (position >= file.size) {
              await release();
              index++;
              position = 0;
              continue;
            }
            fd ??= await openFile(file.path, 'r');
            const buffer = new Uint8Array(Math.min(READ_CHUNK, file.size - position));
            const bytesRead = await readAt(fd, buffer, position);
            if (bytesRead === 0) throw new Error(`Part file ${file.path} is shorter than it was`);
            position += bytesRead;
            controller.enqueue(buffer.subarray(0, bytesRead));
            return;
          }
        } catch (err) {
          await release();
          controller.error(err);
        }
      },
      cancel: release,
    },
    { highWaterMark: 0 },
  );
}

/**
 * Multipart uploads on the directory store: each part a file under `.multipart/<upload id>/`,
 * written through a temp file like any put; at completion streamed, in order, into the object
 * (itself written through a temp file), then the staging folder goes.
 */
export function fsMultipart(
  root: string,
  at: { pathOf: (key: string) => string; folders: Folders; durable: boolean },
): MultipartStore {
  const stagingOf = (uploadId: string): string => {
    if (!UPLOAD_ID.test(uploadId)) throw new InvalidKeyError('Invalid multipart upload id');
    return join(root, STAGING, uploadId);
  };
  const partPath = (uploadId: string, partNumber: number): string => {
    if (!Number.isSafeInteger(partNumber) || partNumber < 1) throw new RangeError(`Invalid part number ${partNumber}`);
    return join(stagingOf(uploadId), String(partNumber));
  };

  return {
    minPartBytes: 1,
    async createMultipart(key) {
      at.pathOf(key);
      const uploadId = randomUUID();
      await at.folders.ensure(stagingOf(uploadId), key);
      return { uploadId };
    },
    async putPart(key, body, { uploadId, partNumber, size }): Promise<UploadedPart> {
      const path = partPath(uploadId, partNumber);
      try {
        await access(stagingOf(uploadId));
      } catch {
        await body.cancel().catch(() => {});
        throw new Error(`No multipart upload ${uploadId} for ${key}`);
      }
      const label = `${key} part ${partNumber}`;
      const written = await putFile({ ...at, pathOf: () => path }, label, body, { contentType: '', size });
      return { number: partNumber, etag: written.etag };
    },
    async completeMultipart(key, uploadId, parts): Promise<StoredObjectInfo> {
      const ordered = [...parts].sort((a, b) => a.number - b.number);
      const files: { path: string; size: number }[] = [];
      for (const part of ordered) {
        const path = partPath(uploadId, part.number);
        const s = await statBig(path);
        if (etagOf(s) !== part.etag) throw new Error(`Part ${part.number} of ${key} is not the one uploaded`);
        files.push({ path, size: Number(s.size) });
      }
      const total = files.reduce((sum, f) => sum + f.size, 0);
      const info = await putFile(at, key, concatFiles(files), { contentType: '', size: total });
      await rm(stagingOf(uploadId), { recursive: true, force: true });
      return info;
    },
    async abortMultipart(_key, uploadId) {
      await rm(stagingOf(uploadId), { recursive: true, force: true });
    },
  };
}
