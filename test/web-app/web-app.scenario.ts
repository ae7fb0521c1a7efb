import { beforeAll, expect, it } from 'vitest';
import { bearer, json, newUser, type TestUser } from '../support/client';
import { png } from '../support/images';
import type { Scenario } from '../support/scenarios';
import { type UploadedV1, upload } from '../support/upload';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

// The web app's server side on every runtime (on Workers its page reads the build through the
// ASSETS binding): a browser opening `/` goes to /app, the page loads the built files, and a
// share link's public page carries Open Graph tags while the link lives.
const webApp: Scenario = (target) => {
  let owner: TestUser;
  let image: UploadedV1;

  beforeAll(async () => {
    owner = await newUser(target(), 'web-app');
    image = await upload(target(), owner, await png(48, 32), { name: 'postcard.png' });
  });

  it('sends a browser opening / to /app, and gives API clients the JSON index', async () => {
    const browser = await target().fetch('/', { headers: { accept: BROWSER_ACCEPT }, redirect: 'manual' });
    expect(browser.status).toBe(302);
    expect(browser.headers.get('location')).toBe('/app');
    const client = await target().fetch('/');
    expect(client.status).toBe(200);
    expect(((await client.json()) as { links: { api: string } }).links.api).toBe('/api/v1');
  });

  it('serves the app’s page, loading its built, hashed files', async () => {
    const res = await target().fetch('/app');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toMatch(/<script type="module" src="\/app\/assets\/main-\w{8}\.js"><\/script>/);
    expect(html).toMatch(/<link rel="stylesheet" href="\/app\/assets\/app-\w{8}\.css" \/>/);
  });

  it('renders a live share link’s page with Open Graph tags, and a 404 page once revoked', async () => {
    const made = await target().fetch(
      `/api/v1/images/${image.id}/links`,
      json({ expires_in: 600 }, { headers: bearer(owner) }),
    );
    expect(made.status).toBe(201);
    const link = (await made.json()) as { id: string; url: string };
    const token = link.url.slice(link.url.lastIndexOf('/') + 1);
    const page = await target().fetch(`/s/${token}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`<meta property="og:image" content="${link.url}" />`);
    expect(html).toContain('<meta property="og:title" content="postcard.png" />');
    expect(html).toContain('<meta property="og:image:width" content="48" />');

    const revoked = await target().fetch(`/api/v1/images/${image.id}/links/${link.id}`, {
      method: 'DELETE',
      headers: bearer(owner),
    });
    expect(revoked.status).toBe(204);
    const gone = await target().fetch(`/s/${token}`);
    expect(gone.status).toBe(404);
    expect(await gone.text()).toContain('This link is not available');
  });
};

export default webApp;
