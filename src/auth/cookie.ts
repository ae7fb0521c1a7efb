import type { Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import type { Config } from '../config';

export const AUTH_COOKIE = 'auth_token';

function secure(c: Context, config: Config): boolean {
  if (config.secureCookies !== 'auto') return config.secureCookies === 'always';
  return new URL(c.req.url).protocol === 'https:';
}

export function setAuthCookie(c: Context, config: Config, token: string): void {
  setCookie(c, AUTH_COOKIE, token, {
    httpOnly: true,
    sameSite: 'Lax',
    path: '/',
    maxAge: config.sessionTtlSeconds,
    secure: secure(c, config),
  });
}

export function clearAuthCookie(c: Context, config: Config): void {
  deleteCookie(c, AUTH_COOKIE, { httpOnly: true, sameSite: 'Lax', path: '/', secure: secure(c, config) });
}
