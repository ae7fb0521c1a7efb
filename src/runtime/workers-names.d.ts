// For tsconfig.node.json only. Shared code names two types that Workers' type set provides and
// Node's does not; neither is used at run time on Node or Bun.

/** WebIDL's BufferSource, as the Workers and DOM type sets define it. */
type BufferSource = ArrayBufferView | ArrayBuffer;

/** Only the Workers entry builds a D1-backed Db; on Node/Bun this type is never instantiated. */
interface D1Database {
  readonly __workersOnly: unique symbol;
}
