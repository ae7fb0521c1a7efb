/** SHA-256 of a blob as hex, streamed where the runtime can (Workers' DigestStream). */

interface DigestStreamLike extends WritableStream<Uint8Array> {
  readonly digest: Promise<ArrayBuffer>;
}
type DigestStreamCtor = new (algorithm: string) => DigestStreamLike;

const hex = (buf: ArrayBuffer) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');

export async function sha256Hex(blob: Blob): Promise<string> {
  const DigestStream = (crypto as unknown as { DigestStream?: DigestStreamCtor }).DigestStream;
  if (DigestStream) {
    const sink = new DigestStream('SHA-256');
    await blob.stream().pipeTo(sink);
    return hex(await sink.digest);
  }
  // WebCrypto has no incremental digest elsewhere; the blob is already in memory.
  return hex(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
}
