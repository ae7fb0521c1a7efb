import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { expect, it, vi } from 'vitest';
import worker from '../../src/index';
import { securityHeaderProblems } from '../support/security-headers';

it('answers a problem, and logs why, when the vars are invalid', async () => {
  const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
  const badEnv = { ...env, SESSION_TTL_SECONDS: 'abc' } as unknown as Env;
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request('http://localhost/api/v1/user'), badEnv, ctx);
  await waitOnExecutionContext(ctx);
  expect(res.status).toBe(500);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(securityHeaderProblems(res)).toEqual([]);
  const body = (await res.json()) as { detail: string; instance: string; request_id: string };
  expect(body.detail).toBe('The server is misconfigured.');
  // Built by the same problem function as every other answer.
  expect(body.instance).toBe('/api/v1/user');
  expect(body.request_id).toBeTruthy();
  expect(body.request_id).toBe(res.headers.get('x-request-id'));
  expect(JSON.stringify(body)).not.toContain('SESSION_TTL_SECONDS');
  expect(errors.mock.calls.some(([line]) => String(line).includes('SESSION_TTL_SECONDS'))).toBe(true);
  errors.mockRestore();
});

it('serves with the configured vars', async () => {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request('http://localhost/api/v1/user'), env, ctx);
  await waitOnExecutionContext(ctx);
  expect(res.status).toBe(401);
});
