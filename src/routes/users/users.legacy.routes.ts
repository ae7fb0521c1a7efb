import { legacyRoutes } from '../legacy-routes';
import { getCurrentUser, loggedIn, login, logout, register } from './users.routes';
import { legacyTokenSchema, legacyUserSchema, logoutSchema } from './users.schemas';

// `/api/user…`: the v1 operations of users.routes.ts answering the original service's shapes (unix-second
// times, its token object, a message on logout).

const legacyOf = legacyRoutes({ v1Base: '/api/v1/user', tag: 'Legacy: users' });

export const legacyRegister = legacyOf(register, {
  path: '/register',
  responses: {
    201: { description: 'Account created', content: { 'application/json': { schema: legacyUserSchema } } },
  },
});

export const legacyLogin = legacyOf(login, {
  path: '/login',
  responses: { 200: loggedIn(legacyTokenSchema) },
});

/** Legacy answers 200 with a message where v1 answers 204. */
export const legacyLogout = legacyOf(logout, {
  path: '/logout',
  without: [204],
  responses: { 200: { description: 'Logged out', content: { 'application/json': { schema: logoutSchema } } } },
});

export const legacyGetCurrentUser = legacyOf(getCurrentUser, {
  path: '/',
  responses: {
    200: { description: 'The current user', content: { 'application/json': { schema: legacyUserSchema } } },
  },
});
