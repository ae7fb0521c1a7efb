/**
 * Image type detection from magic numbers, with cheap dimensions where the header carries them.
 *
 * Pure and runtime-neutral (web standards only). The client's claimed content type is never
 * consulted: the stored type is what the bytes say. Every read is bounds-checked, so truncated or
 * hostile input yields `undefined` or omitted dimensions — never an exception or a read past the
 * buffer. Sizes declared inside the data (segment lengths, box sizes, IFD offsets) are treated as
 * claims to be checked against the buffer, not as facts.
 */

export interface SniffedImage {
  contentType: string;
  extension: string;
  width?: number;
  height?: number;
}

/**
 * How many leading bytes callers should pass. Every format's type is known from its first few
 * bytes, and PNG/GIF/WebP/BMP carry dimensions within the first ~30. The outliers are JPEG, whose
 * SOF marker comes after any APPn segments (EXIF thumbnails and ICC profiles are commonly tens of
 * KiB; one segment is at most 64 KiB), AVIF, whose `meta` box precedes the pixel data but can
 * hold sizeable EXIF/XMP items, and TIFF, whose IFD0 may sit anywhere. 64 KiB covers the usual
 * cases while staying a small, fixed read on an upload stream; past it the type is still
 * reported but the dimensions are omitted.
 */
export const SNIFF_BYTES = 64 * 1024;

/** Dimensions outside this range are treated as noise or hostile, and omitted. */
const MAX_DIMENSION = 1_000_000;

// ---------------------------------------------------------------------------------------------
// Bounds-checked readers: `undefined` when any byte of the field lies outside the buffer.

const u8 = (b: Uint8Array, at: number): number | undefined => (at >= 0 && at < b.length ? b[at] : undefined);

function u16(b: Uint8Array, at: number, littleEndian: boolean): number | undefined {
  if (at < 0 || at + 2 > b.length) return undefined;
  const x = b[at] as number;
  const y = b[at + 1] as number;
  return littleEndian ? x | (y << 8) : (x << 8) | y;
}

function u24le(b: Uint8Array, at: number): number | undefined {
  if (at < 0 || at + 3 > b.length) return undefined;
  return (b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16);
}

function u32(b: Uint8Array, at: number, littleEndian: boolean): number | undefined {
  if (at < 0 || at + 4 > b.length) return undefined;
  const [p, q, r, s] = [b[at] as number, b[at + 1] as number, b[at + 2] as number, b[at + 3] as number];
  // Multiplying the top byte keeps the result unsigned, where `<< 24` would set the sign bit.
  return littleEndian ? (p | (q << 8) | (r << 16)) + s * 2 ** 24 : p * 2 ** 24 + ((q << 16) | (r << 8) | s);
}

const i32le = (b: Uint8Array, at: number): number | undefined => {
  const v = u32(b, at, true);
  return v === undefined ? undefined : v | 0;
};

/** True when `values` are the bytes at offset `at`. */
function bytesAt(b: Uint8Array, at: number, ...values: number[]): boolean {
  if (at < 0 || at + values.length > b.length) return false;
  return values.every((v, i) => b[at + i] === v);
}

/** True when the ASCII string `text` is at offset `at`. */
function ascii(b: Uint8Array, at: number, text: string): boolean {
  if (at < 0 || at + text.length > b.length) return false;
  for (let i = 0; i < text.length; i++) if (b[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

function fourcc(b: Uint8Array, at: number): string | undefined {
  if (at < 0 || at + 4 > b.length) return undefined;
  return String.fromCharCode(b[at] as number, b[at + 1] as number, b[at + 2] as number, b[at + 3] as number);
}

const plausible = (n: number | undefined): n is number =>
  n !== undefined && Number.isInteger(n) && n > 0 && n <= MAX_DIMENSION;

/** The detected type, with both dimensions only when both are plausible. */
function found(contentType: string, extension: string, width?: number, height?: number): SniffedImage {
  return plausible(width) && plausible(height) ? { contentType, extension, width, height } : { contentType, extension };
}

// ---------------------------------------------------------------------------------------------
// Formats. Each returns `undefined` when the magic does not match.

function png(b: Uint8Array): SniffedImage | undefined {
  if (!bytesAt(b, 0, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return undefined;
  // IHDR must be the first chunk; its length is fixed at 13.
  if (u32(b, 8, false) !== 13 || !ascii(b, 12, 'IHDR')) return found('image/png', 'png');
  return found('image/png', 'png', u32(b, 16, false), u32(b, 20, false));
}

/** SOF0..SOF15 carry the frame size; C4 (DHT), C8 (JPG extension) and CC (DAC) share the range. */
const isStartOfFrame = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
/** Markers without a length field: TEM, RST0..7, SOI. */
const isStandalone = (m: number) => m === 0x01 || (m >= 0xd0 && m <= 0xd8);

function jpeg(b: Uint8Array): SniffedImage | undefined {
  if (!bytesAt(b, 0, 0xff, 0xd8, 0xff)) return undefined;
  let at = 2;
  while (at < b.length) {
    // Like libjpeg, tolerate stray bytes between segments: decoders skip to the next 0xFF.
    while (at < b.length && b[at] !== 0xff) at++;
    // Any number of 0xFF fill bytes may precede a marker.
    while (at < b.length && b[at] === 0xff) at++;
    const marker = u8(b, at);
    if (marker === undefined) break;
    at++;
    if (marker === 0x00) continue; // a stuffed 0xFF, not a marker
    if (isStandalone(marker)) continue;
    if (marker === 0xd9 || marker === 0xda) break; // EOI or SOS before any SOF: no size to find
    const length = u16(b, at, false);
    if (length === undefined || length < 2) break;
    if (isStartOfFrame(marker)) {
      // length(2) precision(1) height(2) width(2) components(1)... A frame header too short for
      // its fields is corrupt; a height of 0 (defined later by DNL) is unknown. Both are omitted.
      if (length < 8) return found('image/jpeg', 'jpg');
      return found('image/jpeg', 'jpg', u16(b, at + 5, false), u16(b, at + 3, false));
    }
    at += length;
  }
  return found('image/jpeg', 'jpg');
}

function gif(b: Uint8Array): SniffedImage | undefined {
  if (!ascii(b, 0, 'GIF87a') && !ascii(b, 0, 'GIF89a')) return undefined;
  const screen = [u16(b, 6, true), u16(b, 8, true)] as const;
  if (screen[0] === undefined || screen[1] === undefined) return found('image/gif', 'gif');
  const [width, height] = gifCanvas(b, screen[0], screen[1]);
  return found('image/gif', 'gif', width, height);
}

/**
 * The logical screen grown to cover every frame seen in `b`. The screen is only a claim: a frame
 * may be larger or lie outside it, and decoders (libvips among them) then allocate the frame's
 * extent. Frames past the end of `b` are not seen; the engine compares the size its decoder
 * reports with the stored one before decoding (transform/sharp.ts), so they cannot grow it unseen.
 * Each step advances by at least one byte, so the walk is bounded by the buffer.
 */
function gifCanvas(b: Uint8Array, screenWidth: number, screenHeight: number): [number, number] {
  let width = screenWidth;
  let height = screenHeight;
  const flags = u8(b, 10) ?? 0;
  let at = 13 + (flags & 0x80 ? 3 * 2 ** ((flags & 7) + 1) : 0);
  /** Past a chain of data sub-blocks (length byte, then that many bytes; 0 ends it). */
  const skipSubBlocks = () => {
    for (;;) {
      const n = u8(b, at);
      if (n === undefined) return;
      at += 1 + n;
      if (n === 0) return;
    }
  };
  while (at < b.length) {
    const introducer = b[at];
    if (introducer === 0x21) {
      at += 2; // introducer, label
      skipSubBlocks();
    } else if (introducer === 0x2c) {
      const [left, top, w, h] = [
        u16(b, at + 1, true),
        u16(b, at + 3, true),
        u16(b, at + 5, true),
        u16(b, at + 7, true),
      ];
      const local = u8(b, at + 9);
      if (left === undefined || top === undefined || w === undefined || h === undefined || local === undefined) break;
      width = Math.max(width, left + w);
      height = Math.max(height, top + h);
      at += 10 + (local & 0x80 ? 3 * 2 ** ((local & 7) + 1) : 0) + 1; // descriptor, local table, LZW code size
      skipSubBlocks();
    } else break; // the trailer, or bytes no decoder would read as a frame
  }
  return [width, height];
}

function webp(b: Uint8Array): SniffedImage | undefined {
  if (!ascii(b, 0, 'RIFF') || !ascii(b, 8, 'WEBP')) return undefined;
  const chunk = fourcc(b, 12);
  const data = 20;
  if (chunk === 'VP8 ') {
    // A key frame (bit 0 of the frame tag clear) has a start code and 14-bit sizes after the tag.
    const tag = u8(b, data);
    if (tag === undefined || (tag & 1) !== 0) return found('image/webp', 'webp');
    if (!bytesAt(b, data + 3, 0x9d, 0x01, 0x2a)) return found('image/webp', 'webp');
    const w = u16(b, data + 6, true);
    const h = u16(b, data + 8, true);
    return found('image/webp', 'webp', w === undefined ? w : w & 0x3fff, h === undefined ? h : h & 0x3fff);
  }
  if (chunk === 'VP8L') {
    const bits = u32(b, data + 1, true);
    if (u8(b, data) !== 0x2f || bits === undefined) return found('image/webp', 'webp');
    return found('image/webp', 'webp', (bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
  }
  if (chunk === 'VP8X') {
    // flags(1) reserved(3) canvas width-1 (24 bits) canvas height-1 (24 bits)
    const w = u24le(b, data + 4);
    const h = u24le(b, data + 7);
    return found('image/webp', 'webp', w === undefined ? w : w + 1, h === undefined ? h : h + 1);
  }
  return found('image/webp', 'webp');
}

// --- ISO-BMFF (AVIF) ---------------------------------------------------------------------------

interface Box {
  type: string;
  /** Offset of the payload (after the header). */
  start: number;
  /** End of the box, clamped to the enclosing range: the head may cut a box short. */
  end: number;
  /** False when the box was clamped, so children past `end` are unknown rather than absent. */
  complete: boolean;
}

/**
 * The boxes laid end to end in [from, to). A box whose size is impossible (smaller than its
 * header) ends the walk; one that claims to extend past the range is clamped, so its visible
 * part can still be read. Each step advances by at least 8 bytes, so the walk is bounded.
 */
function* boxes(b: Uint8Array, from: number, to: number): Generator<Box> {
  let at = from;
  while (at + 8 <= to) {
    const size32 = u32(b, at, false) as number;
    const type = fourcc(b, at + 4) as string;
    let header = 8;
    let size: number;
    if (size32 === 1) {
      const hi = u32(b, at + 8, false);
      const lo = u32(b, at + 12, false);
      if (hi === undefined || lo === undefined) return;
      header = 16;
      size = hi * 2 ** 32 + lo;
    } else if (size32 === 0) {
      size = to - at; // extends to the end of its container
    } else {
      size = size32;
    }
    if (size < header) return;
    yield { type, start: at + header, end: Math.min(at + size, to), complete: at + size <= to };
    at += size;
  }
}

function child(b: Uint8Array, parent: Box, type: string, skip = 0): Box | undefined {
  for (const box of boxes(b, parent.start + skip, parent.end)) if (box.type === type) return box;
  return undefined;
}

function avif(b: Uint8Array): SniffedImage | undefined {
  const [ftyp] = boxes(b, 0, b.length);
  // A 32-bit-sized ftyp first, holding at least major_brand and minor_version.
  if (ftyp?.type !== 'ftyp' || ftyp.start !== 8 || ftyp.end < 16) return undefined;
  // major_brand(4) minor_version(4) compatible_brands(4 each)
  const brands = [fourcc(b, ftyp.start)];
  for (let at = ftyp.start + 8; at + 4 <= ftyp.end; at += 4) brands.push(fourcc(b, at));
  if (!brands.some((brand) => brand === 'avif' || brand === 'avis')) return undefined;
  const size = avifSize(b, ftyp.end);
  return found('image/avif', 'avif', size?.[0], size?.[1]);
}

/**
 * The primary item's `ispe` (image spatial extents). A file may hold several items — alpha
 * planes, thumbnails, grid tiles — each with its own `ispe`, so the primary item (`pitm`) is
 * matched to its properties through `ipma`. Without those, a lone `ispe` is unambiguous; several
 * are not, and no size is reported rather than a wrong one.
 */
function avifSize(b: Uint8Array, after: number): [number, number] | undefined {
  let meta: Box | undefined;
  for (const box of boxes(b, after, b.length)) {
    if (box.type === 'meta') {
      meta = box;
      break;
    }
  }
  if (!meta) return undefined;
  const fullBox = 4; // version(1) flags(3)
  const iprp = child(b, meta, 'iprp', fullBox);
  const ipco = iprp && child(b, iprp, 'ipco');
  if (!iprp || !ipco) return undefined;

  const properties = [...boxes(b, ipco.start, ipco.end)];
  const extents = (box: Box): [number, number] | undefined => {
    if (box.start + fullBox + 8 > box.end) return undefined; // an ispe too short for its fields
    return [u32(b, box.start + fullBox, false) as number, u32(b, box.start + fullBox + 4, false) as number];
  };

  const primary = primaryItem(b, meta);
  const ipma = child(b, iprp, 'ipma');
  if (primary !== undefined && ipma) {
    for (const index of associations(b, ipma, primary)) {
      const property = properties[index - 1]; // indices are 1-based; 0 means "none"
      if (property?.type === 'ispe') return extents(property);
    }
  }
  // Only a complete ipco proves there is no second ispe beyond what the head shows.
  const all = properties.filter((p) => p.type === 'ispe');
  return ipco.complete && all.length === 1 && all[0] ? extents(all[0]) : undefined;
}

function primaryItem(b: Uint8Array, meta: Box): number | undefined {
  const pitm = child(b, meta, 'pitm', 4); // meta is a FullBox: skip version and flags
  if (!pitm) return undefined;
  const wide = u8(b, pitm.start) !== 0;
  if (pitm.start + 4 + (wide ? 4 : 2) > pitm.end) return undefined;
  return wide ? u32(b, pitm.start + 4, false) : u16(b, pitm.start + 4, false);
}

/** The property indices `ipma` associates with `item`. */
function associations(b: Uint8Array, ipma: Box, item: number): number[] {
  if (ipma.start + 8 > ipma.end) return [];
  const version = b[ipma.start] as number;
  const wideIndex = ((b[ipma.start + 3] as number) & 1) === 1; // flags are 24-bit big-endian; bit 0
  const count = u32(b, ipma.start + 4, false) as number;
  let at = ipma.start + 8;
  const idSize = version < 1 ? 2 : 4;
  const width = wideIndex ? 2 : 1;
  for (let i = 0; i < count; i++) {
    if (at + idSize + 1 > ipma.end) return [];
    const id = version < 1 ? u16(b, at, false) : u32(b, at, false);
    const n = u8(b, at + idSize) as number;
    at += idSize + 1;
    if (id === item) {
      const indices: number[] = [];
      for (let k = 0; k < n; k++) {
        if (at + (k + 1) * width > ipma.end) break;
        const raw = (wideIndex ? u16(b, at + k * 2, false) : u8(b, at + k)) as number;
        indices.push(raw & (wideIndex ? 0x7fff : 0x7f)); // top bit is "essential"
      }
      return indices;
    }
    at += n * width;
  }
  return [];
}

// --- BMP and TIFF --------------------------------------------------------------------------------

/** DIB header sizes in the wild: CORE, OS/2 2.x short and long, INFO, V2, V3, V4, V5. */
const DIB_HEADER_SIZES = new Set([12, 16, 40, 52, 56, 64, 108, 124]);

function bmp(b: Uint8Array): SniffedImage | undefined {
  // "BM" alone is two printable letters; requiring a known DIB header size keeps text out.
  if (!ascii(b, 0, 'BM')) return undefined;
  const dib = u32(b, 14, true);
  if (dib === undefined || !DIB_HEADER_SIZES.has(dib)) return undefined;
  if (dib === 12) return found('image/bmp', 'bmp', u16(b, 18, true), u16(b, 20, true));
  const height = i32le(b, 22);
  // A negative height means rows are stored top-down; the size is its magnitude.
  return found('image/bmp', 'bmp', i32le(b, 18), height === undefined ? height : Math.abs(height));
}

const TIFF_SHORT = 3;
const TIFF_LONG = 4;

function tiff(b: Uint8Array): SniffedImage | undefined {
  let le: boolean;
  if (ascii(b, 0, 'II*\0')) le = true;
  else if (ascii(b, 0, 'MM\0*')) le = false;
  else return undefined;
  const ifd = u32(b, 4, le);
  const count = ifd === undefined ? undefined : u16(b, ifd, le);
  if (ifd === undefined || count === undefined) return found('image/tiff', 'tiff');
  let width: number | undefined;
  let height: number | undefined;
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > b.length) break;
    const tag = u16(b, entry, le);
    if (tag !== 256 && tag !== 257) continue;
    const type = u16(b, entry + 2, le);
    if (u32(b, entry + 4, le) !== 1) continue; // a single value fits in the entry itself
    // A SHORT value is left-justified in the 4-byte field, whatever the byte order.
    const value = type === TIFF_SHORT ? u16(b, entry + 8, le) : type === TIFF_LONG ? u32(b, entry + 8, le) : undefined;
    if (tag === 256) width = value;
    else height = value;
  }
  return found('image/tiff', 'tiff', width, height);
}

// ---------------------------------------------------------------------------------------------

const DETECTORS = [png, jpeg, gif, webp, avif, bmp, tiff];

/**
 * The image type of `head` (the first bytes of a file, ideally `SNIFF_BYTES` of them), or
 * `undefined` when it is not one of the accepted raster formats. Text formats (SVG, HTML) and
 * other containers (PDF, HEIC) are deliberately not recognised.
 */
export function sniffImage(head: Uint8Array): SniffedImage | undefined {
  for (const detect of DETECTORS) {
    const result = detect(head);
    if (result) return result;
  }
  return undefined;
}

// --- SVG ---------------------------------------------------------------------------------------

/** How much of the head to examine for an SVG root: prologs and comments are short. */
const SVG_SCAN_BYTES = 4096;

/**
 * Whether `head` looks like an SVG document, so a rejection can say why ("SVG is not accepted")
 * rather than just "unsupported". Skips a UTF-8 BOM, whitespace, the XML declaration, comments,
 * processing instructions and a DOCTYPE, then expects an `<svg` root (or a DOCTYPE naming svg).
 * Only the wording of an error depends on this; the file is rejected either way.
 */
export function looksLikeSvg(head: Uint8Array): boolean {
  // The default decoder drops a UTF-8 BOM and replaces invalid sequences rather than throwing.
  const text = new TextDecoder().decode(head.subarray(0, SVG_SCAN_BYTES));
  let at = 0;
  const skipSpace = () => {
    while (at < text.length && /\s/.test(text.charAt(at))) at++;
  };
  const skipPast = (end: string) => {
    const i = text.indexOf(end, at);
    at = i < 0 ? text.length : i + end.length;
  };
  for (;;) {
    skipSpace();
    if (text.startsWith('<?', at)) skipPast('?>');
    else if (text.startsWith('<!--', at)) skipPast('-->');
    else if (/^<!DOCTYPE\s+svg[\s>[]/i.test(text.slice(at, at + 20))) return true;
    else if (/^<!DOCTYPE/i.test(text.slice(at, at + 9))) {
      // An internal subset may itself contain '>': skip to its closing ']' first.
      const close = text.indexOf('>', at);
      const open = text.indexOf('[', at);
      if (open >= 0 && (close < 0 || open < close)) skipPast(']');
      skipPast('>');
    } else return /^<svg[\s>/]/i.test(text.slice(at, at + 5)) || /^<svg:svg[\s>/]/i.test(text.slice(at, at + 9));
    if (at >= text.length) return false;
  }
}

// --- Markup and script ---------------------------------------------------------------------------

/** How much of the head to scan for markup: a document's first tags come early. */
const MARKUP_SCAN_BYTES = 4096;

/**
 * Tags that make a browser treat bytes as a document or run them, wherever they appear in the
 * scanned head; the name must end there (`<scripted` is not `<script`).
 */
const ACTIVE_TAG =
  /<(?:script|html|head|body|svg|svg:svg|iframe|frame|frameset|object|embed|applet|meta|link|base|style|form|math|img|xml|xsl:stylesheet)[\s>/]/i;

/** Code units at `from`, `from + step`, … as characters: only ASCII patterns are matched. */
function charsOf(b: Uint8Array, from: number, step: number): string {
  let text = '';
  for (let i = from; i < b.length; i += step) text += String.fromCharCode(b[i] as number);
  return text;
}

/**
 * The ASCII-compatible readings of a head: its bytes as Latin-1 (a UTF-8 BOM dropped), and, when
 * a UTF-16 BOM or the NULs of UTF-16 ASCII suggest it, one character per UTF-16 code unit. No
 * decoder runs, so no decoding error can hide a pattern.
 */
function textViews(head: Uint8Array): string[] {
  const b = head.subarray(0, MARKUP_SCAN_BYTES);
  const views = [charsOf(b, bytesAt(b, 0, 0xef, 0xbb, 0xbf) ? 3 : 0, 1)];
  if (bytesAt(b, 0, 0xff, 0xfe)) views.push(charsOf(b, 2, 2));
  else if (bytesAt(b, 0, 0xfe, 0xff)) views.push(charsOf(b, 3, 2));
  else if (b.length >= 2 && b[0] !== 0 && b[1] === 0) views.push(charsOf(b, 0, 2));
  else if (b.length >= 2 && b[0] === 0 && b[1] !== 0) views.push(charsOf(b, 1, 2));
  return views;
}

/**
 * Whether `head` looks like something a browser could render as a document or run: markup
 * (anything whose first non-blank character is `<`: HTML, XML, SVG, `<?php`, `<!DOCTYPE`,
 * comments), an active tag such as `<script` or `<html` anywhere in the first 4 KiB, a `#!`
 * script, or a PDF (which carries JavaScript). Such bytes are refused even where unrecognised
 * bytes are otherwise stored (the legacy upload). This is the first of two defences: whatever is
 * stored unverified is also served so that no browser renders it.
 */
export function looksLikeMarkupOrScript(head: Uint8Array): boolean {
  return textViews(head).some((text) => {
    const start = text.trimStart();
    return start.startsWith('<') || start.startsWith('#!') || start.startsWith('%PDF-') || ACTIVE_TAG.test(text);
  });
}
