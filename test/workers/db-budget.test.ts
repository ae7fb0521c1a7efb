import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { d1Database } from '../../src/db/client';
import { bearer, json, newUser, type TestUser } from '../support/client';
import { png } from '../support/images';
import { upload } from '../support/upload';
import { appHarness } from './support/app-harness';

/**
 * ARCHITECTURE.md's budget: a read costs one D1 call including the session check, a tag edit
 * one batch. Counted at the binding: each `batch()` and each executed statement is one call.
 */
function countingD1(db: D1Database, counter: { calls: number }): D1Database {
  const wrapStatement = (stmt: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(stmt, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== 'function') return value;
        if (prop === 'bind') return (...args: unknown[]) => wrapStatement(value.apply(target, args));
        if (['all', 'run', 'first', 'raw'].includes(String(prop))) {
          return (...args: unknown[]) => {
            counter.calls++;
            return value.apply(target, args);
          };
        }
        return value.bind(target);
      },
    });
  return new Proxy(db, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop === 'prepare') return (sql: string) => wrapStatement(target.prepare(sql));
      if (prop === 'batch') {
        return (statements: D1PreparedStatement[]) => {
          counter.calls++;
          return target.batch(statements);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('database calls per request', () => {
  const counter = { calls: 0 };
  const h = appHarness(() => ({ db: d1Database(countingD1(env.DB, counter)) }));
  let user: TestUser;
  let id: number;
  let shared: { id: string; url: string };

  beforeAll(async () => {
    user = await newUser(h.target);
    for (let i = 0; i < 12; i++)
      id = (await upload(h.target, user, await png(2, 2), { tags: [`t${i % 3}`, 'all'] })).id;
    const res = await h.target.fetch(`/api/v1/images/${id}/links`, json({}, { headers: bearer(user) }));
    shared = (await res.json()) as typeof shared;
  });

  const callsFor = async (path: string, init: RequestInit = {}) => {
    counter.calls = 0;
    const res = await h.target.fetch(path, {
      ...init,
      headers: bearer(user, (init.headers ?? {}) as Record<string, string>),
    });
    expect(res.status).toBeLessThan(300);
    await res.arrayBuffer();
    return counter.calls;
  };

  it.each([
    ['metadata', () => `/api/v1/images/${id}`],
    ['bytes', () => `/api/v1/images/${id}/file`],
    ['legacy bytes', () => `/api/image/${id}`],
    ['tags', () => `/api/v1/images/${id}/tags`],
    ['a page of 10 with tags', () => '/api/v1/images?limit=10&tag=all'],
    ['the whole legacy list', () => '/api/images'],
    ['tag counts', () => '/api/v1/tags'],
    ['current user', () => '/api/v1/user'],
    ['a variant (made, then cached)', () => `/api/v1/images/${id}/file?width=1&format=png`],
    ['the same variant again', () => `/api/v1/images/${id}/file?width=1&format=png`],
    ['share links of an image', () => `/api/v1/images/${id}/links`],
    ['a shared image', () => new URL(shared.url).pathname],
  ])('%s: one call', async (_name, path) => {
    expect(await callsFor(path())).toBe(1);
  });

  it.each([
    ['replace tags', () => [`/api/v1/images/${id}/tags`, json({ tags: ['x', 'y'] }, { method: 'PUT' })] as const],
    ['add a tag', () => [`/api/v1/images/${id}/tags/z`, { method: 'POST' }] as const],
    ['remove a tag', () => [`/api/v1/images/${id}/tags/z`, { method: 'DELETE' }] as const],
    ['clear tags', () => [`/api/v1/images/${id}/tags`, { method: 'DELETE' }] as const],
    ['revoke a share link', () => [`/api/v1/images/${id}/links/${shared.id}`, { method: 'DELETE' }] as const],
    ['delete an image', () => [`/api/v1/images/${id}`, { method: 'DELETE' }] as const],
  ])('%s: one batch', async (_name, request) => {
    const [path, init] = request();
    expect(await callsFor(path, init)).toBe(1);
  });

  it('a share link: the image with the session check, then one batch', async () => {
    const fresh = await upload(h.target, user, await png(2, 2));
    counter.calls = 0;
    const res = await h.target.fetch(`/api/v1/images/${fresh.id}/links`, json({}, { headers: bearer(user) }));
    expect(res.status).toBe(201);
    expect(counter.calls).toBe(2);
  });

  it('upload: the session check, then one batch', async () => {
    counter.calls = 0;
    await upload(h.target, user, await png(3, 3), { tags: ['a'] });
    expect(counter.calls).toBe(2);
  });
});
