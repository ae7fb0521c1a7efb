import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DOCS_ASSET_FILES,
  HEADERS_FILE,
  prepareDocsAssets,
  DOCS_ASSET_PREFIX as SCRIPT_PREFIX,
  SECURITY_HEADERS,
  STATIC_ASSETS_DIR,
} from '../../scripts/docs-assets.mjs';
import { stubDeps } from '../../scripts/openapi';
import { createApp } from '../../src/app';
import { DOCS_ASSET_PREFIX, DOCS_ASSETS, DOCS_INIT_SCRIPT, DOCS_PATHS } from '../../src/routes/docs';
import { nodeDocsAssets } from '../../src/routes/docs/assets-node';
import { SECURITY_HEADER_NAMES } from '../support/security-headers';

const distDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
const dist = (name: string) => readFileSync(join(distDir, name));
/** `toEqual` walks 1.7 MB element by element; Buffer.equals does not. */
const sameBytes = (a: Uint8Array, b: Buffer) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
const names = Object.keys(DOCS_ASSETS) as (keyof typeof DOCS_ASSETS)[];

describe('Swagger UI assets for Workers (static assets)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'imageapi-assets-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('the preparing script serves the same prefix and files as the app', () => {
    expect(SCRIPT_PREFIX).toBe(DOCS_ASSET_PREFIX);
    expect([...DOCS_ASSET_FILES].sort()).toEqual([...names].sort());
  });

  it('wrangler.toml serves the prepared directory and prepares it before dev and deploy', () => {
    const toml = readFileSync('wrangler.toml', 'utf8');
    expect(/^\[assets\]\s*\ndirectory\s*=\s*"([^"]+)"/m.exec(toml)?.[1]).toBe(STATIC_ASSETS_DIR);
    expect(/^\[build\]\s*\ncommand\s*=\s*"([^"]+)"/m.exec(toml)?.[1]).toBe('node scripts/docs-assets.mjs');
  });

  it('copies exactly the listed files, byte for byte, writes _headers, and removes anything else', () => {
    const root = join(tmp, 'static');
    const stray = join(root, 'api', 'apidoc', 'swagger-ui-dist', 'old.js');
    prepareDocsAssets(root);
    writeFileSync(stray, 'stale');
    const files = prepareDocsAssets(root);
    expect(files.sort()).toEqual(
      [...names.map((n) => join(root, ...DOCS_ASSET_PREFIX.split('/'), n)), join(root, HEADERS_FILE)].sort(),
    );
    for (const name of names) {
      expect(readFileSync(join(root, ...DOCS_ASSET_PREFIX.split('/'), name)).equals(dist(name)), name).toBe(true);
    }
  });

  it('gives the static files the security headers the app sends (_headers)', async () => {
    const root = join(tmp, 'headers');
    prepareDocsAssets(root);
    // The first rule is the docs files'; the web app's follow (test/web-app/web-app-routes.node.test.ts).
    const [rule, ...lines] = (readFileSync(join(root, HEADERS_FILE), 'utf8').split('\n\n')[0] ?? '').split('\n');
    expect(rule).toBe(`${DOCS_ASSET_PREFIX}/*`);
    const written = Object.fromEntries(
      lines.map((line) => {
        const [, name = '', value = ''] = /^ {2}([A-Za-z-]+): (.+)$/.exec(line) ?? [];
        return [name.toLowerCase(), value];
      }),
    );
    expect(written).toEqual(Object.fromEntries(Object.entries(SECURITY_HEADERS).map(([k, v]) => [k.toLowerCase(), v])));
    // The same set, with the same values, as an app response that is not a page.
    const res = await createApp(stubDeps()).request('/api/openapi.json');
    const sent = Object.fromEntries(SECURITY_HEADER_NAMES.map((name) => [name, res.headers.get(name)]));
    expect(written).toEqual(sent);
  });
});

describe('Swagger UI assets and page from the app (Node/Bun)', () => {
  const app = createApp({ ...stubDeps(), docsAssets: nodeDocsAssets() });

  it.each(names)('serves %s from swagger-ui-dist with its content type', async (name) => {
    const res = await app.request(`${DOCS_ASSET_PREFIX}/${name}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(DOCS_ASSETS[name]);
    expect(sameBytes(new Uint8Array(await res.arrayBuffer()), dist(name))).toBe(true);
  });

  it.each([
    'index.html', // in the package, but not listed
    '..%2Fpackage.json',
    'swagger-ui.js.map',
  ])('answers 404 for %s', async (name) => {
    const res = await app.request(`${DOCS_ASSET_PREFIX}/${name}`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
  });

  it('answers 404 when the runtime has no asset source (Workers: the platform serves them)', async () => {
    const res = await createApp(stubDeps()).request(`${DOCS_ASSET_PREFIX}/swagger-ui.css`);
    expect(res.status).toBe(404);
  });

  it.each(DOCS_PATHS)('%s loads only this origin’s files, and its CSP allows nothing else', async (path) => {
    const res = await app.request(path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(urls.sort()).toEqual([...names.map((n) => `${DOCS_ASSET_PREFIX}/${n}`), DOCS_INIT_SCRIPT].sort());
    for (const url of urls) expect((await app.request(url)).status, url).toBe(200);

    // No inline script at all: every <script> loads a file of this origin.
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBe(2);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/ src="\/api\//);
      expect(body).toBe('');
    }
    expect(html).not.toMatch(/ on[a-z]+=/i);

    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(/script-src ([^;]+)/.exec(csp)?.[1]).toBe("'self'");
  });

  it('serves Swagger UI’s start-up as a script: this document, local files, credentials kept', async () => {
    const res = await app.request(DOCS_INIT_SCRIPT);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const script = await res.text();
    const config = JSON.parse(/SwaggerUIBundle\(([\s\S]*?)\);/.exec(script)?.[1] ?? 'null') as Record<string, unknown>;
    expect(config).toMatchObject({
      dom_id: '#swagger-ui',
      url: '/api/openapi.json',
      persistAuthorization: true,
      withCredentials: true,
      validatorUrl: 'none',
    });
    expect(script).not.toMatch(/https?:\/\//);
  });
});
