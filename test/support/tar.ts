/** Reads a ustar archive back (tests only): every regular file by name, in order. */
export interface TarFile {
  name: string;
  bytes: Uint8Array;
  mtime: number;
}

const ascii = (bytes: Uint8Array) => new TextDecoder().decode(bytes).replace(/\0.*$/s, '');

export function parseTar(archive: Uint8Array): { files: TarFile[]; ended: boolean } {
  const files: TarFile[] = [];
  let offset = 0;
  while (offset + 512 <= archive.length) {
    const header = archive.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) {
      const second = archive.subarray(offset + 512, offset + 1024);
      return { files, ended: second.length === 512 && second.every((b) => b === 0) };
    }
    // The checksum: the header's bytes with its own field read as spaces.
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] as number);
    if (Number.parseInt(ascii(header.subarray(148, 156)).trim(), 8) !== sum)
      throw new Error(`bad checksum at ${offset}`);
    if (ascii(header.subarray(257, 263)) !== 'ustar') throw new Error(`not ustar at ${offset}`);
    const name = ascii(header.subarray(0, 100));
    const size = Number.parseInt(ascii(header.subarray(124, 136)), 8);
    const mtime = Number.parseInt(ascii(header.subarray(136, 148)), 8);
    const start = offset + 512;
    if (start + size > archive.length) throw new Error(`entry ${name} cut short`);
    files.push({ name, bytes: archive.slice(start, start + size), mtime });
    offset = start + Math.ceil(size / 512) * 512;
  }
  return { files, ended: false };
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
}
