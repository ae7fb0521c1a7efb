import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type SniffedImage, sniffImage } from '../../src/formats/sniff';
import { png } from '../support/images';
import { dataDir, freePort, startInProcess } from '../support/node/servers';
import { securityHeaderProblems } from '../support/security-headers';

// The docs page in a real headless Chromium, served by the real Workers path (`npm start`'s
// script: wrangler dev, static assets, local D1) and by the Node server (the app serving
// Swagger UI's files itself), each on a free loopback port with its own database. Every
// request the browser makes is inspected; anything that is not loopback is refused and fails
// the test, so a CDN link cannot hide behind a warm cache. Every response must carry the
// security headers, and the page's Content-Security-Policy must never have to block anything
// (Chromium reports each violation to the page, which reports it here).
//
// Chromium comes from Debian (`apt-get install chromium`; .ci/run installs it); nothing here
// ever downloads a browser. SKIP_BROWSER_TESTS=1 skips this file on a machine without one.

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOT = 'artifacts/docs-swagger.png';
// A real browser drives a page of 1.5 MB of script through several reloads: on a busy 2-core
// machine one test can take well over vitest's 30 s.
vi.setConfig({ testTimeout: 120_000 });

const THUMBNAILS = 'artifacts/thumbnails.png';
const skip = process.env.SKIP_BROWSER_TESTS === '1';

const isLoopback = (url: string) => {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'data:' || protocol === 'blob:') return true;
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
};

interface DocsServer {
  base: string;
  /** What the server printed, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** `npm start`'s script (wrangler dev) on free loopback ports, with a database of its own. */
async function startWranglerDev(): Promise<DocsServer> {
  const [port, inspector] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${port}`;
  const persist = mkdtempSync(join(tmpdir(), 'imageapi-docs-'));
  let output = '';
  // Its own process group, so the whole tree (npx, wrangler, workerd) stops with it.
  const server: ChildProcess = spawn(
    process.execPath,
    ['scripts/dev.mjs', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector)].concat([
      '--persist-to',
      persist,
    ]),
    {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
    },
  );
  for (const stream of [server.stdout, server.stderr]) stream?.on('data', (d: Buffer) => (output += d.toString()));
  const stop = async () => {
    if (server.pid && server.exitCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      process.kill(-server.pid, 'SIGTERM');
      const timer = setTimeout(() => server.pid && process.kill(-server.pid, 'SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(persist, { recursive: true, force: true });
  };

  const deadline = Date.now() + 90_000;
  for (;;) {
    if (server.exitCode !== null) {
      await stop();
      throw new Error(`npm start exited (${server.exitCode}):\n${output}`);
    }
    const ok = await fetch(`${base}/api/openapi.json`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the dev server did not answer within 90 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return { base, output: () => output, stop };
}

/** The Node server in this process (src/runtime), which serves Swagger UI's files itself. */
async function startNode(): Promise<DocsServer> {
  const data = await dataDir();
  const server = await startInProcess(data.env);
  return {
    base: server.origin,
    output: () => '',
    stop: async () => {
      await server.shutdown('tests done');
      await data.remove();
    },
  };
}

/** What the page reports through `securitypolicyviolation` events (registered on every page load). */
const REPORT_VIOLATIONS = `document.addEventListener('securitypolicyviolation', (e) =>
  window.__reportCspViolation(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber));`;

const suites: [string, () => Promise<DocsServer>][] = [
  ['wrangler dev', startWranglerDev],
  ['the Node server', startNode],
];

describe.skipIf(skip).each(suites)('Swagger UI in a browser, served by %s', (label, start) => {
  let server: DocsServer | undefined;
  let base = '';
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const outside: string[] = [];
  const consoleErrors: string[] = [];
  const violations: string[] = [];
  /** Every response from the server, with the security headers it lacked. */
  const responses: { url: string; status: number; problems: string[] }[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    server = await start();
    base = server.base;

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (isLoopback(url)) return route.continue();
      outside.push(url);
      return route.abort('blockedbyclient');
    });
    await context.exposeFunction('__reportCspViolation', (v: string) => violations.push(v));
    await context.addInitScript(REPORT_VIOLATIONS);
    context.on('response', async (res) => {
      if (!res.url().startsWith(base)) return;
      // One entry per header line: allHeaders() joins several Set-Cookie lines with a newline,
      // which no Headers object takes (a login sets the session and the device cookie).
      const headers = new Headers();
      for (const { name, value } of await res.headersArray().catch(() => [])) headers.append(name, value);
      const problems = securityHeaderProblems(new Response(null, { headers }));
      responses.push({ url: res.url().slice(base.length), status: res.status(), problems });
    });
    page = await context.newPage();
    page.on('console', (m) => {
      // Chromium asks for /favicon.ico on its own; the API answers 404 there, by design.
      if (m.type() === 'error' && !m.location().url.endsWith('/favicon.ico')) consoleErrors.push(m.text());
    });
  }, 150_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, 30_000);

  afterEach(() => {
    // After every test: nothing left the machine, nothing was blocked by the page's policy,
    // nothing went to the console as an error, every response carried the security headers.
    expect(outside, 'requests to other hosts').toEqual([]);
    expect(violations, 'Content-Security-Policy violations').toEqual([]);
    expect(consoleErrors, 'console errors (CSP violations show up here too)').toEqual([]);
    expect(
      responses.filter((r) => r.problems.length),
      `responses without the security headers (${label})`,
    ).toEqual([]);
  });

  /** Opens an operation, presses Try it out, fills the body if given, executes, returns the status. */
  async function tryItOut(operationId: string, body?: unknown): Promise<{ status: string; body: string }> {
    const op = page.locator(`[id^="operations-"][id$="-${operationId}"]`);
    if (!(await op.evaluate((e) => e.classList.contains('is-open'))))
      await op.locator('.opblock-summary').first().click();
    if (!(await op.locator('.execute').isVisible())) await op.locator('.try-out__btn').click();
    if (body !== undefined) await op.locator('textarea.body-param__text').fill(JSON.stringify(body));
    await op.locator('.execute').click();
    const row = op.locator('.live-responses-table tr.response').first();
    await row.waitFor();
    return {
      status: ((await row.locator('.response-col_status').textContent()) ?? '').trim(),
      body: (await row.locator('.response-col_description pre').first().textContent()) ?? '',
    };
  }

  it('renders every operation group of the document, with no request leaving the machine', async () => {
    const doc = (await (await fetch(`${base}/api/openapi.json`)).json()) as { tags: { name: string }[] };
    const response = await page.goto(`${base}/api/apidoc/swagger`);
    expect(response?.status()).toBe(200);
    await page.locator('.opblock-tag').first().waitFor({ timeout: 30_000 });

    const rendered = await page
      .locator('.opblock-tag')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-tag')));
    expect(rendered).toEqual(doc.tags.map((t) => t.name));
    expect(await page.locator('.opblock').count()).toBeGreaterThan(20);
    expect(await page.locator('.info .title').textContent()).toContain('ImageAPI');
    // The schemas section draws nested, styled boxes: open one all the way down.
    const schema = page.locator('section.models article.json-schema-2020-12').first();
    await schema.locator('.json-schema-2020-12-expand-deep-button').first().click();
    await schema.locator('.json-schema-2020-12-property').first().waitFor();

    // The page, Swagger UI's files (static assets under wrangler dev, the app on Node), its
    // start-up script and the document all came from this server, with the security headers.
    const loaded = new Set(responses.filter((r) => r.status === 200).map((r) => r.url));
    for (const path of [
      '/api/apidoc/swagger',
      '/api/apidoc/swagger-ui-dist/swagger-ui.css',
      '/api/apidoc/swagger-ui-dist/swagger-ui-bundle.js',
      '/api/apidoc/swagger-ui-dist/imageapi-init.js',
      '/api/openapi.json',
    ]) {
      expect(loaded.has(path), `${path} loaded (got ${[...loaded].join(', ')})`).toBe(true);
    }

    const screenshot = label === 'wrangler dev' ? SCREENSHOT : SCREENSHOT.replace(/\.png$/, '-node.png');
    mkdirSync('artifacts', { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(existsSync(screenshot)).toBe(true);
  });

  it('renders the same groups at the legacy address /apidoc/swagger', async () => {
    const legacy = await context.newPage();
    try {
      expect((await legacy.goto(`${base}/apidoc/swagger`))?.status()).toBe(200);
      await legacy.locator('.opblock-tag').first().waitFor({ timeout: 30_000 });
      const tags = await legacy
        .locator('.opblock-tag')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-tag')));
      expect(tags).toContain('Users');
      expect(tags).toContain('Legacy: users');
      expect(outside).toEqual([]);
    } finally {
      await legacy.close();
    }
  });

  it('logs in with Try it out, and the cookie it sets authenticates the next call', async () => {
    const credentials = { email: `docs-${crypto.randomUUID()}@example.com`, password: 'correct horse battery' };
    expect((await tryItOut('register', credentials)).status).toBe('201');
    expect((await tryItOut('login', credentials)).status).toBe('200');
    const cookie = (await context.cookies()).find((c) => c.name === 'auth_token');
    expect(cookie?.httpOnly).toBe(true);
    const me = await tryItOut('getCurrentUser');
    expect(me.status).toBe('200');
    expect(JSON.parse(me.body)).toMatchObject({ email: credentials.email });
    expect(outside).toEqual([]);
  });

  // Three full loads of the docs page, which grew with the variant and share-link operations: on a
  // busy 2-core machine (the whole suite running) this passed the 30 s default.
  it('authorizes with a bearer token that survives a reload', async () => {
    await context.clearCookies();
    const credentials = { email: `bearer-${crypto.randomUUID()}@example.com`, password: 'correct horse battery' };
    const post = (path: string) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(credentials),
      });
    expect((await post('/api/v1/user/register')).status).toBe(201);
    const { token } = (await (await post('/api/v1/user/login')).json()) as { token: string };

    await page.reload();
    await page.locator('.auth-wrapper .authorize').click();
    const dialog = page.locator('.dialog-ux');
    const bearer = dialog.locator('.auth-container').filter({ hasText: 'bearerAuth' });
    await bearer.locator('input').fill(token);
    await bearer.locator('button.authorize').click();
    await dialog.locator('.close-modal').click();

    const sent: (string | undefined)[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/api/v1/user') sent.push(r.headers().authorization);
    });
    const me = await tryItOut('getCurrentUser');
    expect(me.status).toBe('200');
    expect(JSON.parse(me.body)).toMatchObject({ email: credentials.email });

    // persistAuthorization: still authorized after the page is loaded again.
    await page.reload();
    await page.locator('.opblock-tag').first().waitFor();
    const again = await tryItOut('getCurrentUser');
    expect(again.status).toBe('200');
    expect(sent).toEqual([`Bearer ${token}`, `Bearer ${token}`]);
    expect(outside).toEqual([]);
    expect(consoleErrors).toEqual([]);
  }, 60_000);

  it('uploads an image with Try it out (multipart, file chosen in the page)', async () => {
    // Still authorized from the previous test: persistAuthorization keeps the bearer token.
    const op = page.locator('[id^="operations-"][id$="-uploadImage"]');
    await op.locator('.opblock-summary').first().click();
    await op.locator('.try-out__btn').click();
    const bytes = await png(6, 4);
    await op
      .locator('input[type="file"]')
      .first()
      .setInputFiles({ name: 'from-docs.png', mimeType: 'image/png', buffer: Buffer.from(bytes) });
    await op.locator('.execute').click();
    const row = op.locator('.live-responses-table tr.response').first();
    await row.waitFor();
    expect(((await row.locator('.response-col_status').textContent()) ?? '').trim()).toBe('201');
    const body = JSON.parse((await row.locator('.response-col_description pre').first().textContent()) ?? '{}');
    expect(body).toMatchObject({
      name: 'from-docs.png',
      content_type: 'image/png',
      width: 6,
      height: 4,
      size: bytes.length,
    });
    expect(outside).toEqual([]);
  });

  it('renders a grid of list thumbnails from real responses (the Images binding under wrangler dev)', async () => {
    const credentials = { email: `grid-${crypto.randomUUID()}@example.com`, password: 'correct horse battery' };
    const post = (path: string, init: RequestInit) => fetch(`${base}${path}`, { method: 'POST', ...init });
    const asJson = { 'content-type': 'application/json' };
    expect((await post('/api/v1/user/register', { headers: asJson, body: JSON.stringify(credentials) })).status).toBe(
      201,
    );
    const login = await post('/api/v1/user/login', { headers: asJson, body: JSON.stringify(credentials) });
    const { token } = (await login.json()) as { token: string };
    const sizes = [
      [640, 480],
      [480, 640],
      [900, 300],
      [300, 900],
      [512, 512],
      [200, 120],
      [1200, 800],
      [64, 64],
    ] as const;
    for (const [w, h] of sizes) {
      const form = new FormData();
      form.append('image', new File([await png(w, h)], `gradient-${w}x${h}.png`));
      const res = await post('/api/v1/images', { headers: { authorization: `Bearer ${token}` }, body: form });
      expect(res.status).toBe(201);
    }

    // The browser holds only the session cookie, as a web app's page would.
    // Its own context: the grid is a page the test writes onto the API's origin, whose strict
    // policy (default-src 'none') would rightly block it; the docs tests keep the policy on.
    const gridContext = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    await gridContext.addCookies([{ name: 'auth_token', value: token, url: base }]);
    const grid = await gridContext.newPage();
    const served: Promise<{ type: string | undefined; size: SniffedImage | undefined }>[] = [];
    grid.on('response', (r) => {
      if (!r.url().includes('/file?')) return;
      served.push(r.body().then((b) => ({ type: r.headers()['content-type'], size: sniffImage(new Uint8Array(b)) })));
    });
    try {
      const list = await fetch(`${base}/api/v1/images?limit=50`, { headers: { authorization: `Bearer ${token}` } });
      const { items } = (await list.json()) as {
        items: { name: string; width: number; height: number; thumbnail_url: string }[];
      };
      const html = (t: string) => t.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
      const figures = items
        .map(
          (i) =>
            `<figure><div><img src="${html(i.thumbnail_url)}"></div><figcaption>${html(i.name)} (${i.width}×${i.height})</figcaption></figure>`,
        )
        .join('');
      // On a page of the API's origin, so the thumbnails are same-origin requests carrying the cookie.
      await grid.goto(`${base}/api/openapi.json`);
      await grid.setContent(
        '<style>body{font:13px sans-serif;margin:16px;background:#f4f4f4}' +
          'main{display:grid;grid-template-columns:repeat(4,272px);gap:12px}' +
          'figure{margin:0;background:#fff;padding:8px;border-radius:6px;text-align:center}' +
          'figure div{height:256px;display:flex;align-items:center;justify-content:center;background:#ddd}' +
          `figcaption{margin-top:6px}</style><h3>GET /api/v1/images → thumbnail_url</h3><main>${figures}</main>`,
      );
      await grid.waitForFunction('[...document.images].every((i) => i.complete && i.naturalWidth > 0)');
      const thumbs = await Promise.all(served);
      expect(thumbs).toHaveLength(sizes.length);
      for (const { size } of thumbs) {
        expect(size?.width).toBeGreaterThan(0);
        expect(Math.max(size?.width ?? Infinity, size?.height ?? Infinity)).toBeLessThanOrEqual(256);
      }
      // Chromium accepts AVIF, so format=auto answers with it.
      expect(thumbs.map((t) => t.type)).toEqual(sizes.map(() => 'image/avif'));
      await grid.screenshot({ path: THUMBNAILS, fullPage: true });
      expect(existsSync(THUMBNAILS)).toBe(true);
      expect(outside).toEqual([]);
    } finally {
      await grid.close();
      await gridContext.close();
    }
  });
});
