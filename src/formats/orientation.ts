/**
 * The EXIF orientation (1–8) of a JPEG, read from the first bytes of the file, so variants can
 * be planned upright before any decoder runs. Bounds-checked like the sniffer: truncated or
 * hostile input gives 1 (as stored), never an exception.
 */

const APP1 = 0xe1;
const ORIENTATION_TAG = 0x0112;
const SHORT = 3;

export function jpegOrientation(head: Uint8Array): number {
  if (head.length < 4 || head[0] !== 0xff || head[1] !== 0xd8) return 1;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let at = 2;
  while (at + 4 <= head.length) {
    if (head[at] !== 0xff) return 1;
    const marker = head[at + 1] as number;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    // Orientation lives in APP1 before the frame; start of scan or image end means none.
    if (marker === 0xda || marker === 0xd9) return 1;
    const length = view.getUint16(at + 2);
    if (length < 2) return 1;
    if (marker === APP1) {
      const found = exifOrientation(view, at + 4, Math.min(at + 2 + length, head.length));
      if (found !== undefined) return found;
    }
    at += 2 + length;
  }
  return 1;
}

/** Orientation from an APP1 payload between `start` and `end`, if it is EXIF and carries one. */
function exifOrientation(view: DataView, start: number, end: number): number | undefined {
  // "Exif\0\0", then a TIFF header: byte order, 42, offset of IFD0 from the TIFF header.
  if (end - start < 14) return undefined;
  const exif = [0x45, 0x78, 0x69, 0x66, 0, 0];
  if (!exif.every((b, i) => view.getUint8(start + i) === b)) return undefined;
  const tiff = start + 6;
  const order = view.getUint16(tiff);
  if (order !== 0x4949 && order !== 0x4d4d) return undefined;
  const le = order === 0x4949;
  if (view.getUint16(tiff + 2, le) !== 42) return undefined;
  const ifd = tiff + view.getUint32(tiff + 4, le);
  if (ifd + 2 > end || ifd < tiff) return undefined;
  const count = view.getUint16(ifd, le);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > end) return undefined;
    if (view.getUint16(entry, le) !== ORIENTATION_TAG) continue;
    if (view.getUint16(entry + 2, le) !== SHORT) return undefined;
    const value = view.getUint16(entry + 8, le);
    return value >= 1 && value <= 8 ? value : undefined;
  }
  return undefined;
}

/** Orientations 5–8 turn the image a quarter: its upright width is the stored height. */
export const swapsAxes = (orientation: number) => orientation >= 5 && orientation <= 8;
