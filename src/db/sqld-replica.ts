/**
 * Current reads through a sqld replica. A replica forwards writes to its primary but answers
 * reads from its own copy, which trails the primary: a row written through any server (even
 * through this replica) may be missing from the very next read. sqld lets a statement or a batch
 * name a `replication_index` the replica must have reached before it runs; the primary reports
 * its index with every answer. So before a read, this asks the primary for its index (a
 * `SELECT 1`) and sends the read to the replica with it: the read sees every write acknowledged
 * before it began, while the replica still does the reading.
 *
 * `@libsql/client` does not expose the index, so this is the client's `fetch`: it keeps the
 * client on Hrana's JSON encoding (sqld's `v2` pipeline; the protobuf one cannot be amended
 * here) and adds the index to every statement and batch of a pipeline request.
 */

type Fetch = (request: Request) => Promise<Response>;

interface PipelineBody {
  requests?: { type?: string; stmt?: Record<string, unknown>; batch?: Record<string, unknown> }[];
}

export interface ReplicaFetchOptions {
  /** The primary's HTTP URL (`http://…` or `https://…`). */
  primaryUrl: string;
  authToken?: string;
  fetch?: Fetch;
}

function httpBase(url: string): URL {
  const base = new URL(url);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  return base;
}

/**
 * The primary's replication index, asked at most once at a time: a caller that arrives while a
 * probe is out waits for the next one, which begins after it arrived, so the index it gets covers
 * every write acknowledged before it asked.
 */
function primaryIndexProbe({ primaryUrl, authToken, fetch: doFetch = fetch }: ReplicaFetchOptions) {
  const pipeline = new URL('v2/pipeline', httpBase(primaryUrl));
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (authToken) headers.authorization = `Bearer ${authToken}`;
  const body = JSON.stringify({ requests: [{ type: 'execute', stmt: { sql: 'SELECT 1' } }, { type: 'close' }] });

  const probe = async (): Promise<number> => {
    const response = await doFetch(new Request(pipeline, { method: 'POST', headers, body }));
    if (!response.ok) throw new Error(`sqld primary answered ${response.status} to a replication index probe`);
    const answer = (await response.json()) as {
      results?: { type?: string; response?: { result?: { replication_index?: string | null } } }[];
    };
    const index = answer.results?.[0]?.response?.result?.replication_index;
    // A primary that has never written has no index yet: nothing to wait for.
    return index == null ? 0 : Number(index);
  };

  let running: Promise<number> | undefined;
  let next: Promise<number> | undefined;
  const start = () => {
    running = probe().finally(() => {
      running = undefined;
    });
    return running;
  };
  return (): Promise<number> => {
    if (!running) return start();
    next ??= running
      .catch(() => undefined)
      .then(() => {
        next = undefined;
        return start();
      });
    return next;
  };
}

/** The `fetch` for a client whose URL is a sqld replica of `primaryUrl`. */
export function replicaFetch(options: ReplicaFetchOptions): Fetch {
  const doFetch = options.fetch ?? fetch;
  const primaryIndex = primaryIndexProbe(options);
  return async (request) => {
    const path = new URL(request.url).pathname;
    // The client asks which protocol the server speaks; "not protobuf" keeps it on JSON.
    if (request.method === 'GET' && /\/v3-protobuf\/?$/.test(path)) return new Response(null, { status: 404 });
    if (request.method !== 'POST' || !/\/v2\/pipeline\/?$/.test(path)) return doFetch(request);

    const body = (await request.json()) as PipelineBody;
    const index = await primaryIndex();
    for (const item of body.requests ?? []) {
      if (item.type === 'execute' && item.stmt) item.stmt.replication_index = index;
      if (item.type === 'batch' && item.batch) item.batch.replication_index = index;
    }
    const headers = new Headers(request.headers);
    headers.delete('content-length');
    return doFetch(new Request(request.url, { method: 'POST', headers, body: JSON.stringify(body) }));
  };
}
