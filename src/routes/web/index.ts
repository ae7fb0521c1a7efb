import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { readLinkToken } from '../../auth/share-token';
import type { AppEnv } from '../../http/app-env';
import { signingSecret } from '../../http/auth-middleware';
import { ProblemError } from '../../http/problem';
import { type ContentSecurityPolicy, securityHeaders } from '../../http/security-headers';
import { WEB_ASSET_PREFIX, WEB_MANIFEST_FILE, type WebManifest, webAssetType } from '../../http/web-assets';
import { openSharedLink } from '../../services/share-links';
import { isVariantRequest } from '../../services/variants';
import { DOCS_CSP } from '../docs';
import { isoTime } from '../time-format';
import { appShell, sharedGonePage, sharedPage } from './pages';

export { WEB_ASSET_PREFIX, type WebAssetSource, workersWebAssets } from '../../http/web-assets';

export const APP_PATH = '/app';
/** The public page of a share link: `/s/{token}`, the token of `/api/v1/shared/{token}`. */
export const SHARED_PAGE_PREFIX = '/s';

/**
 * Every page of the site has one policy, the docs page's: scripts, styles, images, fonts and
 * connections of this origin only, as files (no inline script or style); images also as blob:
 * and data: (the icon). The shared page runs no script, and the policy lets none in from elsewhere.
 */
export const PAGE_CSP: ContentSecurityPolicy = DOCS_CSP;

/** A browser navigating: it asks for HTML and not for JSON. API clients keep getting the JSON index. */
export function wantsHtml(accept: string | undefined): boolean {
  const types = (accept ?? '').split(',').map((part) => part.split(';')[0]?.trim().toLowerCase());
  return types.includes('text/html') && !types.includes('application/json');
}

async function manifest(c: Context<AppEnv>): Promise<WebManifest> {
  const source = c.get('deps').webAssets;
  const body = source ? await source(WEB_MANIFEST_FILE) : null;
  if (body === null) {
    throw new ProblemError(503, 'The web app is not built on this server: run `npm run build:web`.');
  }
  return JSON.parse(await new Response(body).text()) as WebManifest;
}

/**
 * `/app` (the web app, issue 26), `/s/{token}` (a shared image's page) and the redirect of a
 * browser opening `/`. Pages for people, not API operations: none is in the OpenAPI document.
 * Mounted before `GET /` (the JSON index).
 */
export function mountWebApp(app: OpenAPIHono<AppEnv>): void {
  app.use('/', async (c, next) => {
    if (c.req.method === 'GET' && wantsHtml(c.req.header('accept'))) {
      c.header('Vary', 'Accept');
      return c.redirect(APP_PATH, 302);
    }
    await next();
    c.res.headers.append('Vary', 'Accept');
  });

  // Workers: the platform answers these first (static assets); Node and Bun serve them here.
  app.get(`${WEB_ASSET_PREFIX}/:name`, async (c) => {
    const name = c.req.param('name');
    const type = webAssetType(name);
    const source = c.get('deps').webAssets;
    const body = type && source ? await source(`${WEB_ASSET_PREFIX.slice(1)}/${name}`) : null;
    if (!type || body === null) throw new ProblemError(404, `No resource at ${c.req.path}.`);
    return c.body(body, 200, {
      'Content-Type': type,
      // Named by their content: a new build has new names.
      'Cache-Control': 'public, max-age=31536000, immutable',
      ...(body instanceof Uint8Array ? { 'Content-Length': String(body.byteLength) } : {}),
    });
  });

  // The app routes in the browser (/app/images/42, /app/account): every such address is the page.
  for (const path of [APP_PATH, `${APP_PATH}/*`]) {
    app.use(path, securityHeaders(PAGE_CSP));
    app.get(path, async (c) => {
      c.header('Cache-Control', 'no-cache');
      return c.html(appShell(await manifest(c)), 200);
    });
  }

  app.use(`${SHARED_PAGE_PREFIX}/:token`, securityHeaders(PAGE_CSP));
  app.get(`${SHARED_PAGE_PREFIX}/:token`, async (c) => {
    const deps = c.get('deps');
    const token = c.req.param('token');
    const assets = await manifest(c);
    // The checks of `GET /api/v1/shared/{token}`, which serves the image this page shows.
    const id = await readLinkToken(signingSecret(deps), token);
    const shared = id === undefined ? undefined : await openSharedLink(deps, id);
    c.header('Cache-Control', 'no-store');
    if (!shared) return c.html(sharedGonePage(assets), 404);
    const original = !isVariantRequest(shared.variant);
    return c.html(
      sharedPage(assets, {
        name: shared.image.name,
        imageUrl: new URL(`/api/v1/shared/${encodeURIComponent(token)}`, c.req.url).href,
        pageUrl: new URL(c.req.path, c.req.url).href,
        contentType: original ? shared.image.contentType : null,
        width: original ? shared.image.width : null,
        height: original ? shared.image.height : null,
        expiresAt: isoTime(shared.expiresAt),
      }),
      200,
    );
  });
}
