/**
 * Decoder bombs: small files whose pixels, once decoded, would take far more memory than their
 * bytes, or whose headers state a size the decoder does not use. Web APIs only, so the
 * cross-runtime resource suite can send the same payloads to workerd, Node and Bun.
 */
import { avif, type Bytes, crc32 } from './images';

const le16 = (n: number) => [n & 0xff, (n >>> 8) & 0xff];
const be32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const le24 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff];
const le32 = (n: number) => [...le24(n), (n >>> 24) & 0xff];
const text = (s: string) => [...s].map((c) => c.charCodeAt(0));
const bytes = (values: number[]): Bytes => Uint8Array.from(values);

// --- GIF -------------------------------------------------------------------------------------------

/** One pixel of colour 0 in GIF LZW (code size 2): clear, 0, end — packed LSB first, as sub-blocks. */
const LZW_ONE_ZERO = [2, 2, 0x44, 0x01, 0];

/** A frame: image descriptor (no local table), then its LZW data. */
const gifFrame = (left: number, top: number, width: number, height: number) => [
  0x2c,
  ...le16(left),
  ...le16(top),
  ...le16(width),
  ...le16(height),
  0,
  ...LZW_ONE_ZERO,
];

/** Header, logical screen and a two-colour global table. */
const gifHead = (width: number, height: number) => [
  ...text('GIF89a'),
  ...le16(width),
  ...le16(height),
  0x80,
  0,
  0,
  0,
  0,
  0,
  255,
  255,
  255,
];

export interface GifBombOptions {
  /** The logical screen the header states (default 1×1). */
  screen?: { width: number; height: number };
  /**
   * Bytes of comment extension before the frame, so the frame lies past what an upload sniffs
   * (64 KiB): only the decoder sees its size.
   */
  hideAfter?: number;
}

/**
 * A GIF whose logical screen is small and whose first frame is `width`×`height`, with one pixel
 * of LZW data: a decoder that trusts the frame allocates width×height×4 bytes and fills it.
 */
export function gifFrameBomb(width = 20_000, height = 20_000, options: GifBombOptions = {}): Bytes {
  const screen = options.screen ?? { width: 1, height: 1 };
  const comment: number[] = [];
  if (options.hideAfter) {
    comment.push(0x21, 0xfe);
    for (let left = options.hideAfter; left > 0; left -= 255) {
      const n = Math.min(255, left);
      comment.push(n, ...new Array<number>(n).fill(0x20));
    }
    comment.push(0);
  }
  return bytes([...gifHead(screen.width, screen.height), ...comment, ...gifFrame(0, 0, width, height), 0x3b]);
}

/** An animation of `frames` 1×1 frames (each with a graphic control extension): many frames, few bytes. */
export function manyFrameGif(frames = 5000): Bytes {
  const out = [...gifHead(1, 1), 0x21, 0xff, 11, ...text('NETSCAPE2.0'), 3, 1, 0, 0, 0];
  for (let i = 0; i < frames; i++) out.push(0x21, 0xf9, 4, 0, 1, 0, 0, 0, ...gifFrame(0, 0, 1, 1));
  out.push(0x3b);
  return bytes(out);
}

// --- PNG, JPEG, WebP with huge stated sizes ---------------------------------------------------------

const pngChunk = (type: string, data: number[]) => {
  const typed = Uint8Array.from([...text(type), ...data]);
  return [...be32(data.length), ...typed, ...be32(crc32(typed))];
};

/**
 * A PNG whose IHDR says `width`×`height` (8-bit RGBA) and whose IDAT is a few bytes of zlib: a
 * decoder that believes the header sets up a `width`×`height` image.
 */
export function hugePng(width = 60_000, height = 60_000): Bytes {
  return bytes([
    0x89,
    0x50,
    0x4e,
    0x47,
    0x0d,
    0x0a,
    0x1a,
    0x0a,
    ...pngChunk('IHDR', [...be32(width), ...be32(height), 8, 6, 0, 0, 0]),
    ...pngChunk('IDAT', [0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]),
    ...pngChunk('IEND', []),
  ]);
}

/** A baseline JPEG whose SOF0 says `width`×`height` (one component), with no scan data. */
export function hugeJpeg(width = 65_000, height = 65_000): Bytes {
  const sof = [
    0xff,
    0xc0,
    0,
    11,
    8,
    ...[(height >>> 8) & 0xff, height & 0xff],
    ...[(width >>> 8) & 0xff, width & 0xff],
    1,
    1,
    0x11,
    0,
  ];
  return bytes([0xff, 0xd8, ...sof, 0xff, 0xd9]);
}

/** An extended WebP whose VP8X canvas is `width`×`height` (at most 2^24 per side), animated, no frames. */
export function hugeWebp(width = 16_384, height = 16_384): Bytes {
  const vp8x = [...text('VP8X'), ...le32(10), 0x02, 0, 0, 0, ...le24(width - 1), ...le24(height - 1)];
  const anim = [...text('ANIM'), ...le32(6), 0, 0, 0, 0, 0, 0];
  const body = [...text('WEBP'), ...vp8x, ...anim];
  return bytes([...text('RIFF'), ...le32(body.length), ...body]);
}

// --- AVIF ------------------------------------------------------------------------------------------

/**
 * An AVIF whose primary `ispe` says `width`×`height`. With no `coded` file it is the structural
 * fixture (its mdat is not a real AV1 bitstream); given a real AVIF (e.g. sharp's), its `ispe`
 * boxes are rewritten in place, so the coded image is larger than the size the container states.
 */
export function lyingAvif(width = 64, height = 64, coded?: Uint8Array): Bytes {
  if (!coded) return avif(width, height);
  const out = Uint8Array.from(coded);
  for (let at = 4; at + 16 <= out.length; at++) {
    if (out[at] === 0x69 && out[at + 1] === 0x73 && out[at + 2] === 0x70 && out[at + 3] === 0x65) {
      out.set([...be32(width), ...be32(height)], at + 8); // after type and version/flags
    }
  }
  return out;
}
