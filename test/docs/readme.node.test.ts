import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { clientTypes } from '../../scripts/openapi';
import { codeBlocks, docPages, RUN_PAGES, readmeBlocks, runnableShellBlocks } from '../../scripts/readme-blocks.mjs';
import { configSchema } from '../../src/config';
import { loadSettings, localSchema } from '../../src/runtime/settings';
import { ROOT } from '../support/node/servers';

// The examples of the README and the docs pages must work as written. Their shell blocks run
// against real servers in CI (scripts/readme-check.sh against `npm start`, the pages of RUN_PAGES
// in order; scripts/backup-restore-check.sh on Node); here, what needs no server: that every block
// is either run there or says why not, and that what they run is self-contained (no fixed ids, no
// placeholders, outputs git-ignored).
const pages = docPages().map((file) => ({ file, markdown: readFileSync(join(ROOT, file), 'utf8') }));
const everyPage = pages.map((p) => p.markdown).join('\n');
const shellBlocks = pages.flatMap(({ markdown }) =>
  [...markdown.matchAll(/```sh\n([\s\S]*?)\n\s*```/g)].map((m) => m[1] ?? ''),
);
/** The blocks CI runs against `npm start`, page by page, each with where it is. */
const runBlocks = RUN_PAGES.flatMap((file) =>
  runnableShellBlocks(readFileSync(join(ROOT, file), 'utf8')).map((b) => ({ ...b, where: `${file} line ${b.line}` })),
);
const doc = JSON.parse(readFileSync(join(ROOT, 'test/generated/openapi.json'), 'utf8')) as OpenAPI3;

// Inside the repo (under node_modules/.cache) so `openapi-fetch` resolves as it does for a reader.
mkdirSync(join(ROOT, 'node_modules/.cache'), { recursive: true });
const scratch = mkdtempSync(join(ROOT, 'node_modules/.cache/readme-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Type errors of the API guide's TypeScript client example against the given `api.d.ts`. */
function typeErrors(apiTypes: string, name: string): string[] {
  const dir = join(scratch, name);
  mkdirSync(dir);
  const [example] = readmeBlocks(everyPage, 'client-example');
  writeFileSync(join(dir, 'api.d.ts'), apiTypes);
  writeFileSync(join(dir, 'example.ts'), example ?? '');
  const program = ts.createProgram([join(dir, 'example.ts')], {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
    types: ['node'],
    typeRoots: [join(ROOT, 'node_modules/@types')],
  });
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))
    .filter(Boolean);
}

describe('README and docs pages', () => {
  it('marks the blocks CI runs, once each, on the page its script reads', () => {
    expect(readmeBlocks(everyPage, 'client-example')).toHaveLength(1);
    // scripts/backup-restore-check.sh reads these from docs/self-hosting.md only.
    const selfHosting = readFileSync(join(ROOT, 'docs/self-hosting.md'), 'utf8');
    for (const name of ['node-env', 'backup', 'reset', 'restore']) {
      expect(readmeBlocks(everyPage, name), name).toHaveLength(1);
      expect(readmeBlocks(selfHosting, name), `${name} in docs/self-hosting.md`).toHaveLength(1);
    }
  });

  it('client example type-checks against types from `npm run generate:client` (file parts are Blob)', async () => {
    const [example] = readmeBlocks(everyPage, 'client-example');
    expect(example).toContain("api.POST('/api/v1/images'");
    expect(typeErrors(await clientTypes(doc), 'generated')).toEqual([]);
  });

  it('…and would not with plain openapi-typescript, which types file parts as string', async () => {
    const plain = astToString(await openapiTS(structuredClone(doc)));
    expect(typeErrors(plain, 'plain').join('\n')).toMatch(/Blob.*string|string.*Blob/);
  });

  it('uses `curl -f` wherever a curl command saves a file or feeds another command', () => {
    const curls = shellBlocks.flatMap((b) => b.split('\n')).filter((line) => /\bcurl\b/.test(line));
    expect(curls.length).toBeGreaterThan(5);
    const risky = curls.filter((line) => /\s-o\s(?!\/dev\/null)|\|\s*$|\$\(curl/.test(line) && !/curl -f/.test(line));
    expect(risky).toEqual([]);
  });

  it('runs every sh block against `npm start` unless its marker says why not', () => {
    for (const { file, markdown } of pages) {
      for (const block of codeBlocks(markdown).filter((b) => b.lang === 'sh')) {
        if (block.skip !== undefined)
          expect(block.skip.length, `${file} line ${block.line}: skip needs a reason`).toBeGreaterThan(10);
      }
    }
    // The tour, variants, share links, keys, quotas, usage, operators, the client, health, cron.
    expect(runBlocks.length).toBeGreaterThanOrEqual(10);
  });

  it('runs only the pages readme-check.sh runs: no other page holds a block it would run', () => {
    const elsewhere = pages
      .filter(({ file }) => !RUN_PAGES.includes(file))
      .flatMap(({ file, markdown }) => runnableShellBlocks(markdown).map((b) => `${file} line ${b.line}`));
    expect(elsewhere).toEqual([]);
  });

  it('runs its examples on what earlier blocks made: no fixed ids, no … placeholders', () => {
    for (const { body, where } of runBlocks) {
      for (const command of body.split('\n').map((l) => l.replace(/\s#\s.*$|^\s*#.*$/, ''))) {
        expect(command, where).not.toMatch(/…|\/(images|keys|links|users)\/\d+\b|\/\d+\/tags/);
      }
    }
  });

  it('writes what its examples save under git-ignored names', () => {
    const saved = runBlocks.flatMap(({ body }) =>
      [...body.matchAll(/(?:\s-o|\s-c|\s--output|[^2&]>)\s+([\w./-]+)/g)].map((m) => m[1] ?? ''),
    );
    expect(saved).toContain('out/thumb.webp');
    for (const file of saved.filter((f) => f !== '/dev/null')) {
      const ignored = spawnSync('git', ['check-ignore', '-q', file], { cwd: ROOT });
      expect(ignored.status, `${file} is not git-ignored`).toBe(0);
    }
  });

  it('uploads a sample large enough for its variants to resize, and small enough to commit', () => {
    const png = readFileSync(join(ROOT, 'docs/sample.png'));
    expect(png.readUInt32BE(16)).toBeGreaterThanOrEqual(1200); // IHDR width
    expect(png.readUInt32BE(20)).toBeGreaterThanOrEqual(900); // IHDR height
    expect(statSync(join(ROOT, 'docs/sample.png')).size).toBeLessThan(16 * 1024);
  });

  it('.env.example sets every Node/Bun setting, each to its default', () => {
    const example = Object.fromEntries(
      readFileSync(join(ROOT, '.env.example'), 'utf8')
        .split('\n')
        .map((l) => /^([A-Z_]+)=(.*)$/.exec(l))
        .filter((m) => m !== null)
        .map((m) => [m[1], m[2]]),
    );
    // ADMIN_EMAILS is retired (setting it only logs a warning); NODE_ENV is shown commented out.
    const settings = [...Object.keys(configSchema.in.shape), ...Object.keys(localSchema.shape)].filter(
      (name) => name !== 'ADMIN_EMAILS' && name !== 'NODE_ENV',
    );
    expect(Object.keys(example).sort()).toEqual(settings.sort());
    const secret = { AUTH_SECRET: 's'.repeat(64) };
    expect(loadSettings({ ...example, ...secret }, () => undefined)).toEqual(loadSettings(secret, () => undefined));
  });

  it('has no fixed dates in commands, and every file a command reads is in the repo', () => {
    for (const block of shellBlocks) expect(block).not.toMatch(/\b20\d\d-\d\d-\d\d\b/);
    const uploads = shellBlocks.flatMap((b) => [...b.matchAll(/=@([\w./-]+)/g)].map((m) => m[1] ?? ''));
    expect(uploads).toContain('docs/sample.png');
    for (const file of uploads) expect(existsSync(join(ROOT, file)), file).toBe(true);
  });
});
