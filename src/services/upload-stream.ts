import { sha256 } from '../formats/digest';
import { SNIFF_BYTES } from '../formats/sniff';
import type { ServiceDeps } from './deps';
import { DomainError } from './errors';
import { classifyUpload, type UploadVerdict } from './upload-policy';

/** An upload's file part as it arrived, its bytes in the store unless they were refused on the way. */
export interface ReceivedImage {
  /** The file name the part gave, unchecked. */
  filename: string;
  /** Every byte of the part, counted even when not stored. */
  size: number;
  /** Where the bytes went, with what was learnt from them on the way. */
  stored?: { key: string; sha256: string; verdict: UploadVerdict };
  /** Why bytes that arrived were not stored (415 from their head); raised after validation. */
  refusal?: DomainError;
  /** Set once uploadImage is responsible for the stored bytes (it removes them if it fails). */
  claimed: boolean;
}

export interface ImagePartSource {
  filename: string;
  /** The part's own Content-Type header, undefined when it had none. */
  declaredType: string | undefined;
  body: ReadableStream<Uint8Array>;
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * Streams an image part into the store as it arrives: the type (and dimensions) from its first
 * `SNIFF_BYTES`, the SHA-256 and the size on the way, never reading the bytes twice. Nothing is
 * stored for an empty part, one over MAX_UPLOAD_BYTES, or one whose head the policy refuses; those
 * are still read to the end (and counted) so the rest of the form can be validated first, as when
 * the form was parsed whole. A body that fails midway (ends early, breaks the body limit) leaves
 * nothing stored and rejects with that failure.
 */
export async function receiveImage(
  deps: Pick<ServiceDeps, 'store' | 'config'>,
  part: ImagePartSource,
  policy: 'strict' | 'legacy',
): Promise<ReceivedImage> {
  const max = deps.config.maxUploadBytes;
  const received: ReceivedImage = { filename: part.filename, size: 0, claimed: false };
  const reader = part.body.getReader();
  const drain = async () => {
    for (let r = await reader.read(); !r.done; r = await reader.read()) received.size += r.value.byteLength;
  };

  const headChunks: Uint8Array[] = [];
  let ended = false;
  while (received.size < SNIFF_BYTES) {
    const r = await reader.read();
    if (r.done) {
      ended = true;
      break;
    }
    headChunks.push(r.value);
    received.size += r.value.byteLength;
  }
  if (received.size === 0) return received;
  const first = concat(headChunks, received.size);
  if (received.size > max) {
    await drain();
    return received;
  }

  let verdict: UploadVerdict;
  try {
    verdict = classifyUpload(
      first.subarray(0, SNIFF_BYTES),
      policy === 'legacy' ? { kind: 'legacy', declaredType: part.declaredType } : { kind: 'strict' },
    );
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    received.refusal = err;
    await drain();
    return received;
  }

  const hash = sha256();
  await hash.update(first);
  let sourceError: unknown;
  let over = false;
  const bytes = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(first);
        if (ended) controller.close();
      },
      async pull(controller) {
        try {
          const r = await reader.read();
          if (r.done) return controller.close();
          received.size += r.value.byteLength;
          if (received.size > max) {
            over = true;
            throw new Error(`the image passed ${max} bytes`);
          }
          await hash.update(r.value);
          controller.enqueue(r.value);
        } catch (err) {
          sourceError ??= err;
          controller.error(err);
        }
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );

  const key = `images/${crypto.randomUUID()}`;
  try {
    await deps.store.put(key, bytes, { contentType: verdict.contentType, ...(ended ? { size: first.length } : {}) });
  } catch (err) {
    // The store stored nothing (a failed put leaves no object). Over the limit, the rest is
    // still counted for the 413 that names the size, after the form has been validated.
    if (over) {
      await drain();
      return received;
    }
    throw sourceError ?? err;
  }
  received.stored = { key, sha256: await hash.hex(), verdict };
  return received;
}
