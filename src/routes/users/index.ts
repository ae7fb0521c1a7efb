import { clearAuthCookie, setAuthCookie } from '../../auth/cookie';
import { signingSecret } from '../../auth/middleware';
import type { UserRow } from '../../db/schema';
import { isoTime, unixSeconds } from '../../http/openapi';
import { createRouter } from '../../http/router';
import * as accounts from '../../services/accounts';
import { legacyUserRoutes as legacy, v1UserRoutes as v1 } from './users.routes';

// Explicit mapping: nothing but these fields can leave, whatever the row holds.
const legacyUser = (u: UserRow) => ({ id: u.id, email: u.email, created_at: unixSeconds(u.createdAt) });
const v1User = (u: UserRow) => ({ id: u.id, email: u.email, created_at: isoTime(u.createdAt) });

export function legacyUserRouter() {
  return createRouter()
    .openapi(legacy.register, async (c) => {
      const { email, password } = c.req.valid('json');
      const user = await accounts.register(c.get('deps'), email, password);
      c.header('Location', '/api/user');
      return c.json(legacyUser(user), 201);
    })
    .openapi(legacy.login, async (c) => {
      const deps = c.get('deps');
      const { email, password } = c.req.valid('json');
      const { issued } = await accounts.login(
        { ...deps, secret: signingSecret(deps), ttlSeconds: deps.config.sessionTtlSeconds },
        email,
        password,
      );
      setAuthCookie(c, deps.config, issued.token);
      // A response carrying a token must not be kept by any cache (RFC 6749 §5.1).
      c.header('Cache-Control', 'no-store');
      return c.json(
        {
          token: issued.token,
          token_type: 'Bearer' as const,
          expires_at: issued.expiresAt,
          expires_in: deps.config.sessionTtlSeconds,
        },
        200,
      );
    })
    .openapi(legacy.logout, async (c) => {
      const deps = c.get('deps');
      await accounts.logout(deps, c.get('session'));
      clearAuthCookie(c, deps.config);
      return c.json({ message: 'Logged out.' }, 200);
    })
    .openapi(legacy.me, async (c) => {
      const user = await accounts.currentUser(c.get('deps').db, c.get('session'));
      return c.json(legacyUser(user), 200);
    });
}

export function v1UserRouter() {
  return createRouter()
    .openapi(v1.register, async (c) => {
      const { email, password } = c.req.valid('json');
      const user = await accounts.register(c.get('deps'), email, password);
      c.header('Location', '/api/v1/user');
      return c.json(v1User(user), 201);
    })
    .openapi(v1.login, async (c) => {
      const deps = c.get('deps');
      const { email, password } = c.req.valid('json');
      const { issued } = await accounts.login(
        { ...deps, secret: signingSecret(deps), ttlSeconds: deps.config.sessionTtlSeconds },
        email,
        password,
      );
      setAuthCookie(c, deps.config, issued.token);
      // A response carrying a token must not be kept by any cache (RFC 6749 §5.1).
      c.header('Cache-Control', 'no-store');
      return c.json(
        {
          token: issued.token,
          token_type: 'Bearer' as const,
          expires_at: isoTime(issued.expiresAt * 1000),
          expires_in: deps.config.sessionTtlSeconds,
        },
        200,
      );
    })
    .openapi(v1.logout, async (c) => {
      const deps = c.get('deps');
      await accounts.logout(deps, c.get('session'));
      clearAuthCookie(c, deps.config);
      return c.body(null, 204);
    })
    .openapi(v1.me, async (c) => {
      const user = await accounts.currentUser(c.get('deps').db, c.get('session'));
      return c.json(v1User(user), 200);
    });
}
