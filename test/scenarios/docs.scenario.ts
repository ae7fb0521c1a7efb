import { expect, it } from 'vitest';
import type { Scenario } from '../support/scenarios';

// The OpenAPI document and the docs pages, on every runtime, without logging in.
const docs: Scenario = (target) => {
  it('serves the OpenAPI 3.1 document to anyone', async () => {
    const res = await target().fetch('/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown>; tags: { name: string }[] };
    expect(doc.openapi).toBe('3.1.0');
    for (const path of ['/api/v1/user/login', '/api/v1/images', '/api/images', '/api/openapi.json']) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    expect(doc.tags.map((t) => t.name)).toContain('Users');
  });

  it.each(['/api/apidoc/swagger', '/apidoc/swagger'])('serves the Swagger UI page at %s', async (path) => {
    const res = await target().fetch(path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toContain('SwaggerUIBundle');
    expect(html).not.toMatch(/https?:\/\//);
  });

  it('serves the page’s scripts and styles from this origin', async () => {
    const html = await (await target().fetch('/api/apidoc/swagger')).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1] ?? '');
    expect(assets.length).toBe(2);
    // In-process Workers tests call the worker's fetch directly, which the platform's static
    // assets layer sits in front of: there the browser test covers them instead.
    if (target().name === 'workers') return;
    for (const asset of assets) {
      const res = await target().fetch(asset);
      expect(res.status, asset).toBe(200);
      expect(res.headers.get('content-type'), asset).toMatch(/^text\/(css|javascript)/);
      expect((await res.arrayBuffer()).byteLength, asset).toBeGreaterThan(10_000);
    }
  });
};

export default docs;
