/**
 * SHA-256 fed chunk by chunk as bytes stream past, with the runtime's native hash: WebCrypto has
 * no incremental digest, and a pure-JS hash would cap an upload's speed. workerd has
 * `crypto.DigestStream`; Node (20.16+) and Bun reach `node:crypto` through
 * `process.getBuiltinModule`, which needs no import the Workers build would have to resolve.
 */
export interface Sha256 {
  update(chunk: Uint8Array): Promise<void>;
  /** Lowercase hex; call once, after the last update. */
  hex(): Promise<string>;
}

interface DigestStreamLike extends WritableStream<Uint8Array> {
  readonly digest: Promise<ArrayBuffer>;
}
type DigestStreamCtor = new (algorithm: string) => DigestStreamLike;

interface NodeHash {
  update(chunk: Uint8Array): NodeHash;
  digest(encoding: 'hex'): string;
}
interface NodeCrypto {
  createHash(algorithm: 'sha256'): NodeHash;
}
type GetBuiltinModule = (id: 'node:crypto') => NodeCrypto;

const hex = (buf: ArrayBuffer) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');

export function sha256(): Sha256 {
  const DigestStream = (crypto as unknown as { DigestStream?: DigestStreamCtor }).DigestStream;
  if (DigestStream) {
    const sink = new DigestStream('SHA-256');
    const writer = sink.getWriter();
    return {
      update: (chunk) => writer.write(chunk),
      hex: async () => {
        await writer.close();
        return hex(await sink.digest);
      },
    };
  }
  const getBuiltinModule = (globalThis as { process?: { getBuiltinModule?: GetBuiltinModule } }).process
    ?.getBuiltinModule;
  if (!getBuiltinModule) throw new Error('No incremental SHA-256 on this runtime (Node 20.16+, Bun or workerd)');
  const hash = getBuiltinModule('node:crypto').createHash('sha256');
  return {
    update: async (chunk) => {
      hash.update(chunk);
    },
    hex: async () => hash.digest('hex'),
  };
}
