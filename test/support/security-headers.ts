import { type Target, wrapTarget } from './target';

/**
 * The security headers every response carries (src/http/security-headers.ts), written out here
 * rather than imported, so a change to them shows up as a failing test to be looked at.
 */
export const SECURITY_HEADERS: Record<string, string> = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-site',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=15552000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'DENY',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};

/** Anything that is not a page: JSON, problems, image bytes, the page's own scripts. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/** The Swagger UI page: only this origin's files, no inline script, never framed. */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADER_NAMES = [...Object.keys(SECURITY_HEADERS), 'content-security-policy'];

/** Every way `res` departs from the set; an HTML page must have the page policy, anything else the API one. */
export function securityHeaderProblems(res: Response, path = ''): string[] {
  const problems: string[] = [];
  // A share link's image may be embedded by other sites: the one header it relaxes on purpose.
  const shared = new URL(path, 'http://x').pathname.startsWith('/api/v1/shared/');
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    const got = res.headers.get(name);
    if (shared && name === 'cross-origin-resource-policy' && got === 'cross-origin') continue;
    if (got !== value) problems.push(`${name}: expected "${value}", got ${got === null ? 'none' : `"${got}"`}`);
  }
  const page = (res.headers.get('content-type') ?? '').startsWith('text/html');
  const csp = res.headers.get('content-security-policy');
  // Unverified image bytes go out as a sandboxed download (`sandbox` alone, stricter for a file).
  const sandboxed = csp === 'sandbox' && /^attachment\b/.test(res.headers.get('content-disposition') ?? '');
  const expected = page ? PAGE_CSP : sandboxed ? 'sandbox' : API_CSP;
  if (csp !== expected) problems.push(`content-security-policy: expected "${expected}", got ${csp ?? 'none'}`);
  if (res.headers.has('x-powered-by')) problems.push('x-powered-by is sent');
  return problems;
}

export class MissingSecurityHeaders extends Error {
  override name = 'MissingSecurityHeaders';
}

/**
 * A target whose every response must carry the security headers: a response without them
 * rejects the `fetch`, so the test that received it fails. The runners wrap every scenario
 * target with it, so each response class a scenario meets is checked on every runtime.
 */
export function withSecurityHeaders(target: Target): Target {
  return wrapTarget(target, (fetch) => async (path, init) => {
    const res = await fetch(path, init);
    const problems = securityHeaderProblems(res, path);
    if (problems.length) {
      await res.body?.cancel().catch(() => {});
      throw new MissingSecurityHeaders(
        `${init?.method ?? 'GET'} ${path} → ${res.status}: security headers wrong:\n  ${problems.join('\n  ')}`,
      );
    }
    return res;
  });
}

/** The CORS response headers; none may appear for an origin outside the allowlist. */
const CORS_HEADERS = [
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-expose-headers',
  'access-control-max-age',
];
export const corsHeadersOf = (res: Response) => CORS_HEADERS.filter((h) => res.headers.has(h));
