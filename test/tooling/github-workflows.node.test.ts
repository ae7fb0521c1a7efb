import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/node/servers';

// GitHub Actions: the workflow runs the same `bash .ci/run` as CI here, and every workflow file
// passes GitHub's workflow schema (@action-validator/cli, which ships the schema compiled to
// WebAssembly in its npm package: nothing is downloaded). `npm run lint:workflows` does the same.

const run = promisify(execFile);
const VALIDATOR = join(ROOT, 'node_modules/.bin/action-validator');
const WORKFLOWS = join(ROOT, '.github/workflows');

async function validate(file: string): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run(VALIDATOR, [file], { cwd: ROOT, timeout: 60_000 });
    return { ok: true, output: stdout + stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: unknown };
    if (typeof e.code !== 'number') throw err; // could not run at all
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('GitHub Actions workflows', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'imageapi-workflows-'));
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it('each one passes the workflow schema', async () => {
    const files = (await readdir(WORKFLOWS)).filter((f) => /\.ya?ml$/.test(f));
    expect(files).toContain('ci.yml');
    for (const file of files) {
      const { ok, output } = await validate(join(WORKFLOWS, file));
      expect(ok, `${file}:\n${output}`).toBe(true);
    }
  });

  it('the schema check refuses a broken workflow (so it can fail)', async () => {
    const ci = await readFile(join(WORKFLOWS, 'ci.yml'), 'utf8');
    for (const [what, broken] of [
      ['a misspelt key', ci.replace('runs-on:', 'runs_on:')],
      ['an unknown event', ci.replace('pull_request:', 'pull_requests:')],
    ] as const) {
      expect(broken, what).not.toBe(ci);
      const file = join(tmp, 'broken.yml');
      await writeFile(file, broken);
      const { ok, output } = await validate(file);
      expect(ok, `${what} passed:\n${output}`).toBe(false);
    }
  });

  it('ci.yml runs `bash .ci/run` on Node 20, on every push and pull request', async () => {
    const ci = await readFile(join(WORKFLOWS, 'ci.yml'), 'utf8');
    expect(ci).toMatch(/^on:\n {2}push:\n {2}pull_request:\n/m);
    expect(ci).toMatch(/^ {4}runs-on: ubuntu-latest$/m);
    expect(ci).toMatch(/uses: actions\/setup-node@v\d+\n\s+with:\n\s+node-version: 20\b/);
    expect(ci).toMatch(/^ {8}run: bash \.ci\/run$/m);
    // CI's own budget here is 90 minutes; the workflow allows the same.
    expect(ci).toMatch(/^ {4}timeout-minutes: 90$/m);
  });

  it('the validator is pinned, and so is the schema engine it runs', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    expect(pkg.devDependencies['@action-validator/cli']).toMatch(/^\d+\.\d+\.\d+$/);
    expect(pkg.devDependencies['@action-validator/core']).toBe(pkg.devDependencies['@action-validator/cli']);
  });
});
