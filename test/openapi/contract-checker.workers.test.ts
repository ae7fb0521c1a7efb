import { beforeAll, describe, expect, it } from 'vitest';
import { Contract, ContractViolation, type OpenApiDoc, withContract } from '../support/openapi-contract';
import type { Target } from '../support/target';
import { workersTarget } from '../support/workers/target';

// The checker that guards the scenario suite must itself refuse what the document does not
// allow; these responses are made up, the document is the one the worker serves.
let contract: Contract;
beforeAll(async () => {
  const res = await workersTarget.fetch('/api/openapi.json');
  contract = new Contract((await res.json()) as OpenApiDoc);
});

const json = (body: unknown, status = 200, type = 'application/json', headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': type, ...headers } });
const problem = (status: number) =>
  json({ type: 'about:blank', title: 'Not Found', status, detail: 'x' }, status, 'application/problem+json');
const user = { id: 1, email: 'ada@example.com', created_at: '2026-11-28T00:00:00.000Z' };
const check = (method: string, url: string, response: Response) => contract.check({ method, url, response });

describe('the OpenAPI contract checker', () => {
  it('accepts a response that matches the document', async () => {
    await expect(check('GET', '/api/v1/user', json(user))).resolves.toBeUndefined();
    await expect(check('GET', '/api/v1/user', problem(401))).resolves.toBeUndefined();
  });

  it('refuses a status the operation does not document', async () => {
    await expect(check('GET', '/api/v1/user', json(user, 418))).rejects.toThrow(/status 418 is not documented/);
  });

  it('refuses a body that does not match the schema', async () => {
    await expect(check('GET', '/api/v1/user', json({ ...user, id: '1' }))).rejects.toThrow(ContractViolation);
    const { email: _, ...noEmail } = user;
    await expect(check('GET', '/api/v1/user', json(noEmail))).rejects.toThrow(/email/);
  });

  it('refuses properties the document does not name (a leaked column)', async () => {
    await expect(check('GET', '/api/v1/user', json({ ...user, password_hash: 'pbkdf2$…' }))).rejects.toThrow(
      /unevaluated/,
    );
  });

  it('refuses a media type the response does not document', async () => {
    await expect(check('GET', '/api/v1/user', json(user, 200, 'text/plain'))).rejects.toThrow(/content type/);
    // An error must be problem+json, not plain JSON.
    await expect(
      check('GET', '/api/v1/user', json({ type: 'about:blank', title: 'x', status: 401 }, 401)),
    ).rejects.toThrow(/content type/);
  });

  it('refuses a body where the document says there is none', async () => {
    await expect(check('POST', '/api/v1/user/logout', new Response(null, { status: 204 }))).resolves.toBeUndefined();
    // 204 cannot carry a body at all; a status documented without content can.
    const accepted = new Contract({
      openapi: '3.1.0',
      paths: { '/jobs': { post: { operationId: 'startJob', responses: { 202: { description: 'Started' } } } } },
    });
    const exchange = (body: string | null) => ({
      method: 'POST',
      url: '/jobs',
      response: new Response(body, { status: 202 }),
    });
    await expect(accepted.check(exchange(null))).resolves.toBeUndefined();
    await expect(accepted.check(exchange('started'))).rejects.toThrow(/documents no body/);
  });

  it('matches templated paths and binary media ranges', async () => {
    const png = new Response(new Uint8Array([0x89, 0x50, 0x4e, 0x47]), {
      headers: { 'content-type': 'image/png' },
    });
    await expect(check('GET', '/api/v1/images/7/file', png)).resolves.toBeUndefined();
    await expect(check('GET', '/api/v1/images/7/file', json(user))).rejects.toThrow(/content type/);
  });

  it('allows only the 404 problem for paths the document does not have', async () => {
    await expect(check('GET', '/api/v1/nothing-here', problem(404))).resolves.toBeUndefined();
    await expect(check('GET', '/api/v1/nothing-here', json({}, 200))).rejects.toThrow(/not in the document/);
    await expect(check('GET', '/api/v1/nothing-here', new Response('<h1>404</h1>', { status: 404 }))).rejects.toThrow(
      /problem\+json/,
    );
  });

  it('allows only the 405 problem for methods a documented path does not have', async () => {
    await expect(check('PATCH', '/api/v1/user', problem(405))).resolves.toBeUndefined();
    await expect(check('PATCH', '/api/v1/user', json(user))).rejects.toThrow(/PATCH is not documented/);
  });

  it('rejects the fetch of a wrapped target, leaving valid responses readable', async () => {
    let next: Response = json(user);
    const fake: Target = {
      name: 'fake',
      fetch: async (path) => (path === '/api/openapi.json' ? workersTarget.fetch(path) : next),
    };
    const checked = withContract(fake);
    const ok = await checked.fetch('/api/v1/user');
    expect(await ok.json()).toEqual(user);
    next = json({ ...user, token: 'secret' });
    await expect(checked.fetch('/api/v1/user')).rejects.toThrow(ContractViolation);
  });
});
