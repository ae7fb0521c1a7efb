// How times leave the API: v1 writes ISO 8601 (with unix seconds beside it where useful), the
// legacy paths unix seconds, as the original service did. Records hold epoch milliseconds.

export const unixSeconds = (ms: number) => Math.floor(ms / 1000);
export const isoTime = (ms: number) => new Date(ms).toISOString();
