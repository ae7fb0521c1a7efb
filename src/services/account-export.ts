/**
 * The account's export: every image's bytes and its metadata as one tar archive, produced as the
 * client reads it. Memory holds one page of image rows and one chunk of bytes at a time, whatever
 * the account's size: images are read in keyset pages (services/images.listAllImages) and each
 * object is streamed from the store. A tar entry's size comes before its bytes, so the metadata
 * of each page is written after that page's files (`manifest/NNNNNN.json`, the images actually
 * written) and the summary (`manifest.json`) comes last.
 */

import { tarEnd, tarFile, tarHeader, tarPadding } from '../formats/tar';
import type { Session } from '../lib/session';
import type { ServiceDeps } from './deps';
import { type ImageRecord, listAllImages } from './images';
import { currentUser } from './session';
import { rasterExtension } from './upload-policy';

/** Rows per page read while exporting. */
export const EXPORT_PAGE_ROWS = 100;

export const EXPORT_FORMAT = 'imageapi-export';

/** Where an image's bytes are in the archive: by id, so any name fits ustar's 100 bytes. */
export const exportPath = (image: Pick<ImageRecord, 'id' | 'contentType'>) =>
  `images/${image.id}.${rasterExtension(image.contentType) ?? 'bin'}`;

const isoTime = (ms: number) => new Date(ms).toISOString();

/** The n-th page of the manifest (from 1): a JSON array of the images written just before it. */
export const pagePath = (n: number) => `manifest/${String(n).padStart(6, '0')}.json`;

const manifestEntry = (image: ImageRecord) => ({
  id: image.id,
  name: image.name,
  file: exportPath(image),
  content_type: image.contentType,
  size: image.size,
  sha256: image.sha256,
  width: image.width,
  height: image.height,
  tags: image.tags,
  created_at: isoTime(image.createdAt),
});

const encoder = new TextEncoder();

export interface AccountExport {
  userId: number;
  /** The archive, read as the client reads it; errors (ends short) if an object cannot be read. */
  body: ReadableStream<Uint8Array>;
}

/** Checks the session now (a refusal is an ordinary 401), then streams the archive. */
export async function exportAccount(
  deps: Pick<ServiceDeps, 'db' | 'store' | 'clock' | 'logger'>,
  session: Session,
  pageRows = EXPORT_PAGE_ROWS,
): Promise<AccountExport> {
  const user = await currentUser(deps, session);
  const pages = await listAllImages(deps, session, { tags: [] }, pageRows);
  const now = deps.clock().getTime();

  async function* parts(): AsyncGenerator<Uint8Array, void, undefined> {
    let images = 0;
    let bytes = 0;
    let pageCount = 0;
    for await (const page of pages) {
      const written: ReturnType<typeof manifestEntry>[] = [];
      for (const image of page) {
        const object = await deps.store.get(image.storageKey);
        // Deleted since its page was read: it is simply not in the export.
        if (!object) continue;
        if (object.size !== image.size) throw new Error(`stored size differs from the row: image ${image.id}`);
        yield tarHeader({ name: exportPath(image), size: image.size, mtime: image.createdAt });
        let seen = 0;
        const reader = object.body.getReader();
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            seen += value.length;
            if (seen > image.size) throw new Error(`stored bytes longer than the row: image ${image.id}`);
            yield value;
          }
        } finally {
          reader.releaseLock();
        }
        if (seen !== image.size) throw new Error(`stored bytes shorter than the row: image ${image.id}`);
        yield tarPadding(image.size);
        written.push(manifestEntry(image));
        images++;
        bytes += image.size;
      }
      if (written.length === 0) continue;
      pageCount++;
      yield tarFile(pagePath(pageCount), encoder.encode(JSON.stringify(written, null, 1)), now);
    }
    const summary = {
      format: EXPORT_FORMAT,
      version: 1,
      exported_at: isoTime(now),
      user: { id: user.id, email: user.email, created_at: isoTime(user.createdAt) },
      images,
      bytes,
      // A count, not a list, so the summary's size does not grow with the account.
      manifest_pages: pageCount,
    };
    yield tarFile('manifest.json', encoder.encode(JSON.stringify(summary, null, 1)), now);
    yield tarEnd();
  }

  const source = parts();
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await source.next();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        } catch (err) {
          // The client went away meanwhile: nothing to report, nothing to send.
          if (cancelled) return;
          deps.logger.error('account export failed midway', { user_id: user.id, error: String(err) });
          controller.error(err);
        }
      },
      async cancel() {
        cancelled = true;
        await source.return(undefined);
      },
    },
    { highWaterMark: 1 },
  );
  return { userId: user.id, body };
}
