import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCS_ASSET_FILES, DOCS_ASSET_PREFIX } from '../../scripts/docs-assets.mjs';
import { stubDeps } from '../../scripts/openapi';
import { buildWebApp, WEB_SCRIPT_BUDGET_BYTES } from '../../scripts/web-build.mjs';
import { createApp } from '../../src/app';
import { nodeWebAssets } from '../../src/routes/web/assets-node';
import { png } from '../support/images';
import { dataDir, startInProcess } from '../support/node/servers';
import { securityHeaderProblems } from '../support/security-headers';

// The web app's server side (src/routes/web): the build, the page, its files, the redirect of a
// browser opening `/`, and the shared page. The app itself is driven in a browser by
// test/web-app/web-app-in-browser.node.test.ts.

const CHROME_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
const built = buildWebApp();
const app = createApp({ ...stubDeps(), webAssets: nodeWebAssets() });

describe('the web app build', () => {
  it(`keeps the app's JavaScript within ${WEB_SCRIPT_BUDGET_BYTES / 1024} KiB gzip`, () => {
    console.log(`web app script: ${(built.scriptGzipBytes / 1024).toFixed(1)} KiB gzip`);
    expect(built.scriptGzipBytes).toBeGreaterThan(1024);
    expect(built.scriptGzipBytes).toBeLessThanOrEqual(WEB_SCRIPT_BUDGET_BYTES);
  });

  it('names every file by its content, and reaches no other origin', () => {
    expect(built.manifest.script).toMatch(/^\/app\/assets\/main-[A-Z0-9]{8}\.js$/);
    expect(built.manifest.style).toMatch(/^\/app\/assets\/app-[A-Z0-9]{8}\.css$/);
    for (const file of built.files) expect(readFileSync(file, 'utf8')).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
  });

  it('gives the hashed files long caching in _headers, as the Node route does', async () => {
    const headers = readFileSync('build/static/_headers', 'utf8');
    expect(headers).toMatch(
      /^\/app\/assets\/\*\n(?: {2}.+\n)*? {2}Cache-Control: public, max-age=31536000, immutable$/m,
    );
    const res = await app.request(built.manifest.script);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(securityHeaderProblems(res)).toEqual([]);
  });

  it.each(['main.js', '..%2Fmanifest.json', 'app.css.map', 'x.html'])(
    'answers 404 for /app/assets/%s',
    async (name) => {
      const res = await app.request(`/app/assets/${name}`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    },
  );
});

describe('wrangler.toml', () => {
  it('runs the worker first for the API, except for exactly the static files the docs load', () => {
    const toml = readFileSync('wrangler.toml', 'utf8');
    const list = /^run_worker_first = \[([^\]]*)\]/m.exec(toml)?.[1] ?? '';
    const patterns = [...list.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
    expect(patterns).toEqual(['/api/*', ...DOCS_ASSET_FILES.map((name) => `!${DOCS_ASSET_PREFIX}/${name}`)]);
    expect(/^binding = "ASSETS"$/m.test(toml)).toBe(true);
  });
});

describe('the web app page', () => {
  it.each(['/app', '/app/images/42', '/app/account'])(
    '%s is the page: built files only, strict policy',
    async (path) => {
      const res = await app.request(path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(securityHeaderProblems(res)).toEqual([]);
      const html = await res.text();
      expect(html).toContain(`<script type="module" src="${built.manifest.script}"></script>`);
      expect(html).toContain(`<link rel="stylesheet" href="${built.manifest.style}" />`);
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
      expect(html).not.toMatch(/<style|\sstyle=| on[a-z]+=/i);
      expect(res.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    },
  );

  it('answers 503 with a problem where the app is not built', async () => {
    const res = await createApp({ ...stubDeps(), webAssets: nodeWebAssets('/nonexistent') }).request('/app');
    expect(res.status).toBe(503);
    expect(((await res.json()) as { detail: string }).detail).toContain('npm run build:web');
  });

  it('sends a browser opening / to /app', async () => {
    const res = await app.request('/', { headers: { accept: CHROME_ACCEPT } });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/app');
    expect(res.headers.get('vary')).toContain('Accept');
  });

  it.each([
    ['no Accept', undefined],
    ['*/*', '*/*'],
    ['application/json', 'application/json'],
    ['HTML and JSON', 'text/html, application/json'],
  ])('gives an API client asking / with %s the JSON index as before', async (_, accept) => {
    const res = await app.request('/', accept ? { headers: { accept } } : {});
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      name: 'ImageAPI',
      version: expect.any(String),
      links: { docs: '/api/apidoc/swagger', openapi: '/api/openapi.json', api: '/api/v1' },
    });
    expect(res.headers.get('vary')).toContain('Accept');
  });

  it('is not in the OpenAPI document', async () => {
    const doc = (await (await app.request('/api/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/app') || p.startsWith('/s/'))).toEqual([]);
  });
});

describe('the shared page, on the Node server', () => {
  let server: Awaited<ReturnType<typeof startInProcess>>;
  let data: Awaited<ReturnType<typeof dataDir>>;
  let token = '';
  let bearer = '';
  let link: { id: string; url: string; image_id: number };

  beforeAll(async () => {
    data = await dataDir();
    server = await startInProcess(data.env);
    const json = { 'content-type': 'application/json' };
    const credentials = JSON.stringify({
      email: `share-${crypto.randomUUID()}@example.com`,
      password: 'correct horse battery',
    });
    await fetch(`${server.origin}/api/v1/user/register`, { method: 'POST', headers: json, body: credentials });
    bearer = (
      (await (
        await fetch(`${server.origin}/api/v1/user/login`, { method: 'POST', headers: json, body: credentials })
      ).json()) as { token: string }
    ).token;
    const form = new FormData();
    form.append('image', new File([await png(40, 30)], 'sunset <over> & sea.png'));
    const image = (await (
      await fetch(`${server.origin}/api/v1/images`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}` },
        body: form,
      })
    ).json()) as { id: number };
    link = (await (
      await fetch(`${server.origin}/api/v1/images/${image.id}/links`, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, ...json },
        body: JSON.stringify({ expires_in: 3600 }),
      })
    ).json()) as typeof link;
    token = link.url.slice(link.url.lastIndexOf('/') + 1);
  });
  afterAll(async () => {
    await server?.shutdown('tests done');
    await data?.remove();
  });

  it('renders Open Graph tags naming the link’s image URL, escaped', async () => {
    const res = await fetch(`${server.origin}/s/${token}`);
    expect(res.status).toBe(200);
    expect(securityHeaderProblems(res)).toEqual([]);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    const meta = (property: string) => new RegExp(`<meta property="${property}" content="([^"]*)"`).exec(html)?.[1];
    expect(meta('og:image')).toBe(link.url);
    expect(meta('og:title')).toBe('sunset &lt;over&gt; &amp; sea.png');
    expect(meta('og:image:width')).toBe('40');
    expect(meta('og:image:height')).toBe('30');
    expect(meta('og:image:type')).toBe('image/png');
    expect(meta('og:url')).toBe(`${server.origin}/s/${token}`);
    expect(html).not.toMatch(/<script/);
    expect((await fetch(meta('og:image') ?? '')).status).toBe(200);
  });

  it.each([
    ['an altered token', () => `${token.slice(0, -2)}xx`],
    ['a made-up token', () => 'nothing'],
  ])('answers %s with the same 404 page', async (_, make) => {
    const res = await fetch(`${server.origin}/s/${make()}`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('This link is not available');
  });

  it('answers 404 once the link is revoked', async () => {
    const revoke = await fetch(`${server.origin}/api/v1/images/${link.image_id}/links/${link.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${bearer}` },
    });
    expect(revoke.status).toBe(204);
    const res = await fetch(`${server.origin}/s/${token}`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('og:image');
  });
});
