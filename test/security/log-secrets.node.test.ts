import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageStore } from '../../src/storage/image-store';
import { SecretWitness, secretsFlow } from '../support/log-secrets';
import { dataDir, httpTarget, memoryLogger, startInProcess } from '../support/node/servers';

// A Node server in this process with a logger that keeps every line, driven through a session
// with failures, including an unexpected 500 (the byte store made to fail for one upload):
// no line may hold the password, the token (or its signature), the cookie or the AUTH_SECRET.
// The scenario runners check the same over the whole scenario suite on Node and Bun.

describe('logs of a session on Node', () => {
  const logger = memoryLogger();
  let server: Awaited<ReturnType<typeof startInProcess>>;
  let data: Awaited<ReturnType<typeof dataDir>>;

  beforeAll(async () => {
    data = await dataDir();
    server = await startInProcess(data.env, logger);
  });

  afterAll(async () => {
    await server?.shutdown('tests done');
    await data?.remove();
  });

  it('hold no password, token, cookie or AUTH_SECRET, an unexpected 500 included', async () => {
    const witness = new SecretWitness();
    witness.add(data.env.AUTH_SECRET);
    const store: ImageStore = server.deps.store;
    const user = await secretsFlow(witness.watch(httpTarget('node', server.origin)), (broken) => {
      server.deps.store = broken
        ? { ...store, put: () => Promise.reject(new Error('injected: the disk is gone')) }
        : store;
    });
    await server.shutdown('tests done');

    const lines = logger.lines.map((l) => JSON.stringify(l));
    // The flow's secrets really were seen, and the log really holds the 500 and the start/stop lines.
    for (const secret of [user.password, user.token, data.env.AUTH_SECRET ?? '']) {
      expect(witness.secrets.has(secret)).toBe(true);
    }
    expect(lines.some((l) => l.includes('"dependency unavailable"') && l.includes('injected: the disk is gone'))).toBe(
      true,
    );
    expect(lines.some((l) => l.includes('"listening"'))).toBe(true);
    expect(lines.some((l) => l.includes('"stopped"'))).toBe(true);
    witness.expectNoLeak(lines, { secrets: 4, lines: 3 });
  });
});
