import { DOCS_ASSET_PREFIX, DOCS_INIT_SCRIPT } from '../../http/docs-assets';
import type { ContentSecurityPolicy } from '../../http/security-headers';
import { info } from './document';
import { API_BASE_PATH, DOCS_PATH, OPENAPI_PATH } from './paths';

/**
 * Swagger UI's start-up, served as a file of this origin rather than inlined in the page, so
 * the page's policy allows scripts from 'self' only. Local assets; credentials that survive a
 * reload; the auth_token cookie sent with Try-it-out requests.
 */
const SWAGGER_CONFIG = {
  dom_id: '#swagger-ui',
  url: OPENAPI_PATH,
  persistAuthorization: true,
  withCredentials: true,
  deepLinking: true,
  displayOperationId: true,
  displayRequestDuration: true,
  docExpansion: 'list',
  filter: true,
  // The default validator badge would call a third-party service with the document's URL.
  validatorUrl: 'none',
};
export const INIT_SCRIPT = `window.addEventListener('load', () => {
  window.ui = SwaggerUIBundle(${JSON.stringify(SWAGGER_CONFIG, null, 2).replace(/\n/g, '\n  ')});
});
`;

export const PAGE_HTML = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>ImageAPI docs</title>
    <link rel="stylesheet" href="${DOCS_ASSET_PREFIX}/swagger-ui.css" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${DOCS_ASSET_PREFIX}/swagger-ui-bundle.js"></script>
    <script src="${DOCS_INIT_SCRIPT}"></script>
  </body>
</html>
`;

/**
 * Only this origin may supply scripts, styles, images and connections, so the page cannot
 * silently fall back to a CDN, and no script runs that this origin did not serve as a file.
 */
export const DOCS_CSP: ContentSecurityPolicy = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'"],
  // No 'unsafe-inline': Swagger UI sets styles through the DOM, which this does not restrict
  // (test/docs/swagger-ui-in-browser.node.test.ts fails on any violation the page reports).
  styleSrc: ["'self'"],
  // Icons in the stylesheet are data: URIs; Try-it-out shows returned images as blob: URLs.
  imgSrc: ["'self'", 'data:', 'blob:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/** `GET /`: a small JSON index for whoever opens the bare address, instead of a 404. */
export const apiIndex = {
  name: info.title,
  version: info.version,
  links: { docs: DOCS_PATH, openapi: OPENAPI_PATH, api: API_BASE_PATH },
};
