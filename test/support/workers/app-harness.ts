import { env } from 'cloudflare:workers';
import { createApp, type GivenDeps } from '../../../src/app';
import { parseConfig } from '../../../src/config';
import { d1Database } from '../../../src/db/client';
import { cfConnectingIp } from '../../../src/http/client-address';
import type { Logger } from '../../../src/lib/logger';
import { r2Store } from '../../../src/storage/r2';
import { imagesBindingTransformer } from '../../../src/transform/images-binding';
import { randomPrivateAddress, type Target } from '../target';

export interface LogEntry {
  level: 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown> | undefined;
}

/** A fresh random secret per use: nothing secret is committed. */
export const randomSecret = (bytes = 32) =>
  [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');

/**
 * An app over the real D1/R2 bindings whose parts a test can replace (a failing store, a
 * counting database), with a hand-driven clock and a logger that keeps what it is told.
 */
export function appHarness(
  override: (deps: GivenDeps) => Partial<GivenDeps> = () => ({}),
  options: { vars?: Record<string, string | undefined>; start?: number } = {},
) {
  let now = options.start ?? Date.now();
  const logs: LogEntry[] = [];
  const record =
    (level: LogEntry['level']): Logger['info'] =>
    (message, fields) =>
      logs.push({ level, message, fields });
  const base: GivenDeps = {
    db: d1Database(env.DB),
    store: r2Store(env.IMAGES),
    transformer: imagesBindingTransformer(env.IMAGES_TRANSFORM),
    config: parseConfig({ AUTH_SECRET: randomSecret(), ...options.vars }),
    clock: () => new Date(now),
    logger: { info: record('info'), warn: record('warn'), error: record('error') },
    clientAddress: cfConnectingIp,
  };
  const deps = { ...base, ...override(base) };
  const app = createApp(deps);
  const from = (address: string | undefined): Target => ({
    name: 'harness',
    ...(deps.config.authSecret ? { authSecret: deps.config.authSecret } : {}),
    fromNewAddress: () => from(randomPrivateAddress()),
    fetch: async (path, init) => {
      const request = new Request(new URL(path, 'http://localhost:8000'), init);
      // What Cloudflare's edge sets in front of a deployed worker.
      if (address) request.headers.set('cf-connecting-ip', address);
      return app.request(request);
    },
  });
  const target = from(undefined);
  return {
    app,
    deps,
    base,
    logs,
    target,
    advance(ms: number) {
      now += ms;
    },
  };
}
