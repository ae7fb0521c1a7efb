/**
 * A small PNG decoder to RGBA, in web-standard code (DecompressionStream) so it runs the same on
 * workerd, Node and Bun. It reads the thumbnails an engine makes for ThumbHash
 * (services/thumbhash.ts): the Images binding on Workers gives PNG but never raw pixels. Not a
 * general decoder: no interlacing, no colour management; every bit depth and colour type of
 * non-interlaced PNG, which is what engines write.
 */

export interface RgbaPixels {
  width: number;
  height: number;
  /** width × height × 4 bytes, row by row, not premultiplied. */
  rgba: Uint8Array<ArrayBuffer>;
}

export class PngDecodeError extends Error {
  override name = 'PngDecodeError';
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Samples per pixel for each colour type. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, readonly number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

interface Header {
  width: number;
  height: number;
  depth: number;
  colorType: number;
}

/**
 * The pixels of `png`, refused (PngDecodeError) unless it has at most `maxPixels`: the check is
 * on the header, before anything is inflated, and inflating stops at the size the header implies.
 */
export async function decodePng(png: Uint8Array, maxPixels: number): Promise<RgbaPixels> {
  if (png.length < 8 || SIGNATURE.some((b, i) => png[i] !== b)) throw new PngDecodeError('not a PNG');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  let header: Header | undefined;
  let palette: Uint8Array | undefined;
  let transparency: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  for (let at = 8; ; ) {
    if (at + 8 > png.length) throw new PngDecodeError('truncated chunk');
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + length);
    if (data.length !== length) throw new PngDecodeError(`truncated ${type} chunk`);
    at += 12 + length;
    if (type === 'IHDR') header = readHeader(data, maxPixels);
    else if (type === 'PLTE') palette = data;
    else if (type === 'tRNS') transparency = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
  }
  if (!header) throw new PngDecodeError('no IHDR');
  if (header.colorType === 3 && !palette) throw new PngDecodeError('palette image without PLTE');
  const bitsPerPixel = header.depth * (CHANNELS[header.colorType] as number);
  const stride = Math.ceil((header.width * bitsPerPixel) / 8);
  const raw = await inflate(idat, header.height * (stride + 1));
  const rows = unfilter(raw, header.height, stride, Math.max(1, bitsPerPixel >> 3));
  return { width: header.width, height: header.height, rgba: toRgba(rows, header, stride, palette, transparency) };
}

function readHeader(data: Uint8Array, maxPixels: number): Header {
  if (data.length !== 13) throw new PngDecodeError('bad IHDR');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const width = view.getUint32(0);
  const height = view.getUint32(4);
  const [depth, colorType, compression, filter, interlace] = data.subarray(8, 13) as unknown as number[];
  if (width === 0 || height === 0 || width * height > maxPixels) {
    throw new PngDecodeError(`${width}×${height} is outside 1..${maxPixels} pixels`);
  }
  if (!DEPTHS[colorType as number]?.includes(depth as number)) {
    throw new PngDecodeError(`colour type ${colorType} at depth ${depth} is not PNG`);
  }
  if (compression !== 0 || filter !== 0) throw new PngDecodeError('unknown compression or filter method');
  if (interlace !== 0) throw new PngDecodeError('interlaced PNG is not decoded here');
  return { width, height, depth: depth as number, colorType: colorType as number };
}

/** The zlib stream of the IDAT chunks, inflated to exactly `expected` bytes. */
async function inflate(chunks: Uint8Array[], expected: number): Promise<Uint8Array> {
  const out = new Uint8Array(expected);
  let filled = 0;
  const source = new Blob(chunks as Uint8Array<ArrayBuffer>[]).stream().pipeThrough(new DecompressionStream('deflate'));
  const reader = source.getReader();
  try {
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      if (filled + r.value.length > expected) throw new PngDecodeError('more image data than the header says');
      out.set(r.value, filled);
      filled += r.value.length;
    }
  } catch (err) {
    await reader.cancel().catch(() => {});
    if (err instanceof PngDecodeError) throw err;
    throw new PngDecodeError(`corrupt image data: ${String(err)}`);
  }
  if (filled !== expected) throw new PngDecodeError('less image data than the header says');
  return out;
}

/** Undoes the per-row filters (PNG §9) in place; returns the rows without their filter bytes. */
function unfilter(raw: Uint8Array, height: number, stride: number, bpp: number): Uint8Array {
  const rows = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const at = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? (rows[at + x - bpp] as number) : 0;
      const b = y > 0 ? (rows[at - stride + x] as number) : 0;
      const c = x >= bpp && y > 0 ? (rows[at - stride + x - bpp] as number) : 0;
      const v = line[x] as number;
      let predicted: number;
      if (filter === 0) predicted = 0;
      else if (filter === 1) predicted = a;
      else if (filter === 2) predicted = b;
      else if (filter === 3) predicted = (a + b) >> 1;
      else if (filter === 4) predicted = paeth(a, b, c);
      else throw new PngDecodeError(`unknown row filter ${filter}`);
      rows[at + x] = (v + predicted) & 0xff;
    }
  }
  return rows;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

function toRgba(
  rows: Uint8Array,
  { width, height, depth, colorType }: Header,
  stride: number,
  palette: Uint8Array | undefined,
  transparency: Uint8Array | undefined,
): Uint8Array<ArrayBuffer> {
  const channels = CHANNELS[colorType] as number;
  const rgba = new Uint8Array(width * height * 4);
  const max = (1 << Math.min(depth, 8)) - 1;
  // The sample `i` of a row as read (before scaling): 16-bit samples keep their high byte.
  const sample = (row: number, i: number): number => {
    if (depth === 8) return rows[row + i] as number;
    if (depth === 16) return rows[row + i * 2] as number;
    const bit = i * depth;
    return ((rows[row + (bit >> 3)] as number) >> (8 - depth - (bit & 7))) & max;
  };
  const toByte = (v: number) => (colorType === 3 || depth >= 8 ? v : Math.round((v * 255) / max));
  // A gray or RGB colour tRNS marks fully transparent (compared at the image's own depth).
  const keyed = transparency && colorType !== 3 ? transparency : undefined;
  const key = (i: number) => (keyed ? (keyed[i * 2 + 1] as number) | ((keyed[i * 2] as number) << 8) : -1);
  const raw16 = (row: number, i: number) =>
    depth === 16 ? ((rows[row + i * 2] as number) << 8) | (rows[row + i * 2 + 1] as number) : sample(row, i);
  for (let y = 0; y < height; y++) {
    const row = y * stride;
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      const s = x * channels;
      if (colorType === 3) {
        const index = sample(row, s);
        if (index * 3 + 2 >= (palette as Uint8Array).length) throw new PngDecodeError('palette index out of range');
        rgba[o] = (palette as Uint8Array)[index * 3] as number;
        rgba[o + 1] = (palette as Uint8Array)[index * 3 + 1] as number;
        rgba[o + 2] = (palette as Uint8Array)[index * 3 + 2] as number;
        rgba[o + 3] = transparency?.[index] ?? 255;
      } else if (colorType === 0 || colorType === 4) {
        const g = toByte(sample(row, s));
        rgba[o] = g;
        rgba[o + 1] = g;
        rgba[o + 2] = g;
        rgba[o + 3] = colorType === 4 ? sample(row, s + 1) : keyed && raw16(row, s) === key(0) ? 0 : 255;
      } else {
        rgba[o] = sample(row, s);
        rgba[o + 1] = sample(row, s + 1);
        rgba[o + 2] = sample(row, s + 2);
        const transparent =
          keyed && raw16(row, s) === key(0) && raw16(row, s + 1) === key(1) && raw16(row, s + 2) === key(2);
        rgba[o + 3] = colorType === 6 ? sample(row, s + 3) : transparent ? 0 : 255;
      }
    }
  }
  return rgba;
}
