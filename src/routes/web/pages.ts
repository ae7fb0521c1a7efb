import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { WebManifest } from '../../http/web-assets';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/**
 * The app's page: the built script and stylesheet, nothing inline. `data:,` as the icon keeps
 * the browser from asking for /favicon.ico, which the API answers with a 404 problem.
 */
export const appShell = (assets: WebManifest): Html => html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="color-scheme" content="light dark" />
    <title>ImageAPI</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="${assets.style}" />
    <script type="module" src="${assets.script}"></script>
  </head>
  <body>
    <div id="root"><p class="status" role="status">Loading…</p></div>
    <noscript><p class="status">This app needs JavaScript. The API itself is at <a href="/api/apidoc/swagger">/api/apidoc/swagger</a>.</p></noscript>
  </body>
</html>
`;

export interface SharedPage {
  name: string;
  /** Absolute URL of the shared bytes (`/api/v1/shared/{token}`): Open Graph needs one. */
  imageUrl: string;
  pageUrl: string;
  /** Known for an original; a pinned variant's format may depend on the browser asking. */
  contentType: string | null;
  /** Known for an original; a pinned variant's size is not known before it is made. */
  width: number | null;
  height: number | null;
  expiresAt: string;
}

const dimensions = (p: SharedPage) =>
  p.width && p.height
    ? html`<meta property="og:image:width" content="${p.width}" />
    <meta property="og:image:height" content="${p.height}" />`
    : '';

/** A shared image for whoever has the link: server-rendered, so chat apps read its Open Graph tags. */
export const sharedPage = (assets: WebManifest, p: SharedPage): Html => html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="color-scheme" content="light dark" />
    <meta name="robots" content="noindex" />
    <title>${p.name} · ImageAPI</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="${assets.style}" />
    <meta property="og:type" content="website" />
    <meta property="og:site_name" content="ImageAPI" />
    <meta property="og:title" content="${p.name}" />
    <meta property="og:url" content="${p.pageUrl}" />
    <meta property="og:image" content="${p.imageUrl}" />
    ${p.contentType ? html`<meta property="og:image:type" content="${p.contentType}" />` : ''}
    <meta property="og:image:alt" content="${p.name}" />
    ${dimensions(p)}
    <meta name="twitter:card" content="summary_large_image" />
  </head>
  <body class="shared">
    <main class="shared-page">
      <h1>${p.name}</h1>
      <img class="shared-image" src="${p.imageUrl}" alt="${p.name}" ${p.width && p.height ? html`width="${p.width}" height="${p.height}"` : ''} />
      <p>Shared with a link that works until <time datetime="${p.expiresAt}">${p.expiresAt.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}</time>. <a href="${p.imageUrl}" download>Download</a></p>
    </main>
  </body>
</html>
`;

/** A link that expired, was revoked or never existed: one answer for all, as the API gives. */
export const sharedGonePage = (assets: WebManifest): Html => html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="robots" content="noindex" />
    <title>Link not available · ImageAPI</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="${assets.style}" />
  </head>
  <body class="shared">
    <main class="shared-page">
      <h1>This link is not available</h1>
      <p>It has expired or was revoked, or it was never valid. Ask whoever shared it for a new one.</p>
    </main>
  </body>
</html>
`;
