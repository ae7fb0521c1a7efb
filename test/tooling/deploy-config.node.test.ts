import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { unstable_readConfig } from 'wrangler';
import { ROOT } from '../support/node/servers';

// What keeps a Cloudflare deploy from going wrong (docs/cloudflare.md): checked
// here so that an edit to wrangler.toml or package.json cannot quietly undo it.
const config = unstable_readConfig({ config: join(ROOT, 'wrangler.toml') });
const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> })
  .scripts;
const scratch = mkdtempSync(join(tmpdir(), 'imageapi-deploy-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const wrangler = (args: string[]) =>
  spawnSync(join(ROOT, 'node_modules/.bin/wrangler'), args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
  });

describe('wrangler.toml', () => {
  it('requires AUTH_SECRET, so `wrangler deploy` refuses while it is unset', () => {
    expect(config.secrets?.required).toEqual(['AUTH_SECRET']);
  });

  it('serves only routed hostnames: no workers.dev address, no preview URLs', () => {
    expect(config.workers_dev).toBe(false);
    expect(config.preview_urls).toBe(false);
  });

  it('turns on Workers Logs with source maps, and minifies', () => {
    expect(config.observability?.enabled).toBe(true);
    expect(config.upload_source_maps).toBe(true);
    expect(config.minify).toBe(true);
  });

  it('npm run deploy applies the migrations to the remote database before deploying the code', () => {
    expect(scripts.deploy).toBe('wrangler d1 migrations apply DB --remote && wrangler deploy');
  });
});

describe('the deploy bundle (wrangler deploy --dry-run)', () => {
  it('is minified and carries only the English zod locale', () => {
    const out = join(scratch, 'bundle');
    const run = wrangler(['deploy', '--dry-run', '--outdir', out]);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    const bundle = readFileSync(join(out, 'index.js'), 'utf8');
    // Before: 1,243 KiB with every locale, 685 KiB minified. With upload sessions and the S3
    // client that presigns R2 parts about 590 KiB: every locale back would pass the bound.
    expect(statSync(join(out, 'index.js')).size).toBeLessThan(620 * 1024);
    // Phrases from zod's English locale (kept) and its German and Spanish ones (dropped; esbuild
    // writes non-ASCII as escapes, so only ASCII parts are searched for).
    expect(bundle).toContain('Invalid input');
    expect(bundle).not.toContain('Eingabe: erwartet');
    expect(bundle).not.toContain('Entrada inv');
  });
});

describe('npm run cf-typegen', () => {
  it('leaves worker-configuration.d.ts as committed whatever local secrets exist', () => {
    // A local env file with a secret that is not in `[secrets] required`: it must not become a type.
    const envFile = join(scratch, '.dev.vars');
    writeFileSync(envFile, `AUTH_SECRET=${'x'.repeat(64)}\nSOME_LOCAL_TOKEN=abc\n`);
    const check = wrangler(['types', '--check', '--env-file', envFile]);
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(readFileSync(join(ROOT, 'worker-configuration.d.ts'), 'utf8')).not.toContain('SOME_LOCAL_TOKEN');
  });
});
