import { MAX_FORM_FIELD_BYTES, MAX_FORM_PARTS, MAX_PART_HEADER_BYTES } from '../limits';
import type { MeteredReader } from './metered-body';
import { ProblemError } from './problem';

/**
 * A multipart/form-data body read as a stream, one part at a time, on every runtime.
 *
 * The reader is pulled: the request body is read only when the consumer asks for the next part
 * or for more of a file part's bytes, so a slow store slows the client down instead of filling
 * memory, and nothing is held beyond the request chunk in hand (plus a delimiter's length).
 *
 * Names, file names and declared types come from the raw part headers, read the same way on
 * every runtime: Bun's own form parser guesses a file part's type from its name (a part declared
 * `text/plain`, or declaring nothing, named `x.png` comes out as `image/png`), while workerd and
 * Node report what was sent, and the legacy upload decides on what was declared. Header values
 * are read as leniently as those parsers read them (a control character in a file name is the
 * name's problem, judged later, not a malformed body).
 *
 * Written here rather than taken from a library: `@remix-run/multipart-parser` (the renamed
 * `@mjackson/multipart-parser`) now buffers each part whole before handing it over, its older
 * streaming line has no backpressure and leaves a part open when the body ends early, and
 * multipasta refuses control characters in header values that every runtime's parser accepts.
 */

export interface FieldPart {
  kind: 'field';
  name: string;
  value: string;
}

export interface FilePart {
  kind: 'file';
  name: string;
  filename: string;
  /** The part's own Content-Type header as sent, or undefined when it had none. */
  declaredType: string | undefined;
  /**
   * The part's bytes. Read it to the end, or cancel it, before asking for the next part: asking
   * earlier discards what is left of it.
   */
  body: ReadableStream<Uint8Array>;
}

export type Part = FieldPart | FilePart;

/** Where the body comes from: the request body through its meter, which bounds its size and time. */
export type BodySource = Pick<MeteredReader, 'read' | 'cancel'>;

const CR = 13;
const LF = 10;
const DASH = 45;

/** The boundary parameter of a multipart/form-data Content-Type, or undefined. */
export function multipartBoundary(contentType: string | null): string | undefined {
  if (!contentType || !/^multipart\/form-data\b/i.test(contentType)) return undefined;
  const m = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m?.[1] ?? m?.[2];
}

/** A `name="…"` style parameter of a Content-Disposition value (quoted or a bare token). */
export function dispositionParam(value: string, param: string): string | undefined {
  const m = new RegExp(`;\\s*${param}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s]*))`, 'i').exec(value);
  if (!m) return undefined;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2];
}

/** RFC 5987 `filename*=UTF-8''…`, when sent and decodable. */
function extendedFilename(disposition: string): string | undefined {
  const m = /;\s*filename\*\s*=\s*utf-8'[^']*'([^;\s]*)/i.exec(disposition);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1] ?? '');
  } catch {
    return undefined;
  }
}

/** The first occurrence of `needle` in `haystack` at or after `from`, or -1. */
function indexOf(haystack: Uint8Array, needle: Uint8Array, from = 0): number {
  const first = needle[0] as number;
  const last = haystack.length - needle.length;
  for (let i = haystack.indexOf(first, from); i >= 0 && i <= last; i = haystack.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

/** Where a partial `needle` could begin at the end of `haystack` (from `from` on), or -1. */
function partialTail(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0] as number;
  for (let i = haystack.indexOf(first, Math.max(from, haystack.length - needle.length + 1)); i >= 0; ) {
    let j = 1;
    while (i + j < haystack.length && haystack[i + j] === needle[j]) j++;
    if (i + j === haystack.length) return i;
    i = haystack.indexOf(first, i + 1);
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (!a.byteLength) return b;
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}

interface Headers {
  disposition: string | undefined;
  contentType: string | undefined;
}

function readHeaders(block: Uint8Array): Headers {
  const out: Headers = { disposition: undefined, contentType: undefined };
  // UTF-8, as browsers send non-ASCII file names.
  for (const line of new TextDecoder().decode(block).split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const field = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (field === 'content-disposition') out.disposition ??= value;
    else if (field === 'content-type') out.contentType ??= value;
  }
  return out;
}

interface FileState {
  chunks: Uint8Array[];
  ended: boolean;
  discard: boolean;
}

const malformed = (why: string) => new ProblemError(400, `The multipart body is malformed: ${why}.`);

type State = 'preamble' | 'delimiter' | 'headers' | 'body' | 'done';

export class MultipartReader {
  readonly #source: BodySource;
  readonly #delimiter: Uint8Array;
  readonly #parts: Part[] = [];
  readonly #states = new WeakMap<Part, FileState>();
  /** Bytes read but not yet parsed. It starts as a CRLF, so the opening `--boundary` is a delimiter too. */
  #buffer: Uint8Array = Uint8Array.of(CR, LF);
  #state: State = 'preamble';
  #partCount = 0;
  /** Bytes of every non-file field so far: fields are held in memory, so they share one bound. */
  #fieldBytes = 0;
  #ended = false;
  #failure: Error | undefined;
  /** The part being parsed: a file's state, or a field's collected bytes. */
  #file: FileState | undefined;
  #field: { name: string | undefined; chunks: Uint8Array[]; size: number } | undefined;
  /** The file part last handed out. */
  #current: FileState | undefined;

  constructor(source: BodySource, contentType: string) {
    this.#source = source;
    const boundary = multipartBoundary(contentType);
    if (!boundary) this.#failure = malformed('its Content-Type has no boundary');
    this.#delimiter = new TextEncoder().encode(`\r\n--${boundary ?? ''}`);
  }

  /** The next part, or undefined after the closing boundary. Throws a ProblemError on a bad body. */
  async next(): Promise<Part | undefined> {
    if (this.#current) {
      // Bytes of an abandoned file part are dropped as they come.
      this.#current.discard = true;
      this.#current.chunks = [];
      this.#current = undefined;
    }
    for (;;) {
      this.#throwIfFailed();
      const part = this.#parts.shift();
      if (part) {
        this.#current = this.#states.get(part);
        return part;
      }
      if (this.#state === 'done') return undefined;
      await this.#pump();
    }
  }

  /** Stops reading the request (after a failure elsewhere); the parts read so far stay valid. */
  async cancel(reason?: unknown): Promise<void> {
    await this.#source.cancel(reason).catch(() => {});
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure;
  }

  /** Reads one chunk of the request and parses what it completes. */
  async #pump(): Promise<void> {
    if (this.#ended) {
      this.#failure ??= malformed('it ends before its closing boundary');
      this.#throwIfFailed();
    }
    let result: Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>;
    try {
      result = await this.#source.read();
    } catch (err) {
      this.#failure ??= err instanceof Error ? err : new Error(String(err));
      throw this.#failure;
    }
    if (result.done) {
      this.#ended = true;
      if (this.#state !== 'done') this.#failure ??= malformed('it ends before its closing boundary');
      return;
    }
    // Data after the closing boundary (an epilogue) is allowed and ignored.
    if (this.#state === 'done') return;
    this.#buffer = concat(this.#buffer, result.value);
    try {
      this.#parse();
    } catch (err) {
      this.#failure ??= err instanceof Error ? err : new Error(String(err));
    }
  }

  /** Parses as much of the buffer as is complete; keeps the rest for the next chunk. */
  #parse(): void {
    const d = this.#delimiter;
    let buf = this.#buffer;
    let at = 0;
    parsing: for (;;) {
      switch (this.#state) {
        case 'preamble':
        case 'body': {
          const found = indexOf(buf, d, at);
          // Without a delimiter, all but what could be the start of one is the part's.
          const partial = found >= 0 ? -1 : partialTail(buf, d, at);
          const end = found >= 0 ? found : partial >= 0 ? partial : buf.length;
          if (this.#state === 'body' && end > at) this.#data(buf.subarray(at, end));
          at = end;
          if (found < 0) break parsing;
          if (this.#state === 'body') this.#endPart();
          at += d.length;
          this.#state = 'delimiter';
          break;
        }
        case 'delimiter': {
          // `--` closes the body; otherwise optional padding, then CRLF and the part headers.
          if (buf.length - at < 2) break parsing;
          if (buf[at] === DASH && buf[at + 1] === DASH) {
            this.#state = 'done';
            at = buf.length;
            break parsing;
          }
          const eol = buf.indexOf(LF, at);
          if (eol < 0) {
            if (buf.length - at > MAX_PART_HEADER_BYTES) throw malformed('a boundary line never ends');
            break parsing;
          }
          // Keep the CRLF: an empty header block is then the CRLFCRLF found right here.
          at = eol - 1;
          this.#state = 'headers';
          break;
        }
        case 'headers': {
          const end = indexOf(buf, CRLF_CRLF, at);
          if (end < 0) {
            if (buf.length - at > MAX_PART_HEADER_BYTES) throw malformed('a part’s headers are too long');
            break parsing;
          }
          if (end - at > MAX_PART_HEADER_BYTES) throw malformed('a part’s headers are too long');
          this.#startPart(readHeaders(buf.subarray(at + 2, end)));
          at = end + 4;
          this.#state = 'body';
          break;
        }
        case 'done':
          at = buf.length;
          break parsing;
      }
    }
    buf = buf.subarray(at);
    // A copy when small, so the request chunk it came from is not kept alive.
    this.#buffer = buf.length <= d.length ? buf.slice() : buf;
  }

  #startPart(headers: Headers): void {
    if (++this.#partCount > MAX_FORM_PARTS) {
      throw new ProblemError(413, `The form has more than ${MAX_FORM_PARTS} parts.`);
    }
    const disposition = headers.disposition ?? '';
    const isFormData = /^form-data\b/i.test(disposition);
    const name = isFormData ? dispositionParam(disposition, 'name') : undefined;
    const filename = isFormData
      ? (extendedFilename(disposition) ?? dispositionParam(disposition, 'filename'))
      : undefined;
    // A part is a file when it names one, as browsers and the runtimes' own parsers decide.
    if (filename === undefined) {
      this.#field = { name, chunks: [], size: 0 };
      return;
    }
    const file: FileState = { chunks: [], ended: false, discard: name === undefined };
    this.#file = file;
    if (name === undefined) return;
    const part: FilePart = {
      kind: 'file',
      name,
      filename,
      declaredType: headers.contentType,
      body: this.#fileBody(file),
    };
    this.#states.set(part, file);
    this.#parts.push(part);
  }

  #data(bytes: Uint8Array): void {
    if (this.#file) {
      if (!this.#file.discard) this.#file.chunks.push(bytes);
      return;
    }
    const field = this.#field;
    if (!field) return;
    field.size += bytes.byteLength;
    this.#fieldBytes += bytes.byteLength;
    if (this.#fieldBytes > MAX_FORM_FIELD_BYTES) {
      throw new ProblemError(
        413,
        `The form's fields other than the image exceed ${MAX_FORM_FIELD_BYTES} bytes in all.`,
      );
    }
    field.chunks.push(bytes.slice());
  }

  #endPart(): void {
    if (this.#file) {
      this.#file.ended = true;
      this.#file = undefined;
      return;
    }
    const field = this.#field;
    this.#field = undefined;
    if (!field || field.name === undefined) return;
    const bytes = new Uint8Array(field.size);
    let at = 0;
    for (const c of field.chunks) {
      bytes.set(c, at);
      at += c.byteLength;
    }
    this.#parts.push({ kind: 'field', name: field.name, value: new TextDecoder().decode(bytes) });
  }

  #fileBody(file: FileState): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          try {
            while (!file.chunks.length && !file.ended) {
              this.#throwIfFailed();
              await this.#pump();
            }
            this.#throwIfFailed();
          } catch (err) {
            controller.error(err);
            return;
          }
          const chunk = file.chunks.shift();
          if (chunk) controller.enqueue(chunk);
          else controller.close();
        },
        cancel: () => {
          file.discard = true;
          file.chunks = [];
        },
      },
      { highWaterMark: 0 },
    );
  }
}

const CRLF_CRLF = Uint8Array.of(CR, LF, CR, LF);
