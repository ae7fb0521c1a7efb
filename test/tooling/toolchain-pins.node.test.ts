import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The toolchain pins (README): newer wrangler/miniflare refuse Node 20.
describe('toolchain pins', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { devDependencies: Record<string, string> };
  it.each([
    ['wrangler', /^4\.86\.0$/],
    ['@cloudflare/vitest-pool-workers', /^0\.15\.1$/],
    ['vitest', /^4\.1\.\d+$/],
  ])('%s is pinned', (name, pin) => {
    expect(pkg.devDependencies[name]).toMatch(pin);
  });
});
