import type { Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import type { Config } from '../config';
import { DEVICE_COOKIE } from './device-cookie';

export const AUTH_COOKIE = 'auth_token';

function secure(c: Context, config: Config): boolean {
  if (config.secureCookies !== 'auto') return config.secureCookies === 'always';
  if (new URL(c.req.url).protocol === 'https:') return true;
  // Behind a TLS-terminating proxy (Node/Bun deployments) the app sees http; the proxy says
  // https here. Believing it can only ever add Secure, never remove it, so it is safe to trust.
  const forwarded = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  return forwarded === 'https';
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

/** How long a device cookie is kept: a client that signed in within it is recognised. */
export const DEVICE_COOKIE_MAX_AGE = 180 * 24 * 60 * 60;

/**
 * The device cookie (auth/device-cookie.ts): sent only to the API, never readable by scripts,
 * never sent with a request another site starts.
 */
export function setDeviceCookie(c: Context, config: Config, value: string): void {
  setCookie(c, DEVICE_COOKIE, value, {
    httpOnly: true,
    sameSite: 'Strict',
    path: '/api',
    maxAge: DEVICE_COOKIE_MAX_AGE,
    secure: secure(c, config),
  });
}
