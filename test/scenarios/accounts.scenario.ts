import { expect, it } from 'vitest';
import { bearer, json, newUser, problem, uniqueEmail } from '../support/client';
import type { Scenario } from '../support/scenarios';

const accounts: Scenario = (target) => {
  it('registers, logs in and reads the current user with a bearer token', async () => {
    const user = await newUser(target());
    const res = await target().fetch('/api/v1/user', { headers: bearer(user) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({ id: user.id, email: user.email, created_at: expect.any(String) });
    expect(Number.isNaN(Date.parse(body.created_at as string))).toBe(false);
  });

  it('refuses a second account for the same email in another case', async () => {
    const email = uniqueEmail('dup');
    const first = await target().fetch('/api/user/register', json({ email, password: 'password-1' }));
    expect(first.status).toBe(201);
    const again = await target().fetch(
      '/api/user/register',
      json({ email: email.toUpperCase(), password: 'password-2' }),
    );
    expect(again.status).toBe(409);
    expect((await problem(again)).status).toBe(409);
  });
};

export default accounts;
