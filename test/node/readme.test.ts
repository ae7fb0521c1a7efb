import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { clientTypes } from '../../scripts/openapi';
import { readmeBlocks } from '../../scripts/readme-blocks.mjs';
import { ROOT } from './support/servers';

// The README's examples must work as written. The shell tours run against real servers in CI
// (scripts/readme-tour.sh, scripts/backup-restore-check.sh); here, what needs no server.
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const shellBlocks = [...readme.matchAll(/```sh\n([\s\S]*?)\n\s*```/g)].map((m) => m[1] ?? '');
const doc = JSON.parse(readFileSync(join(ROOT, 'test/generated/openapi.json'), 'utf8')) as OpenAPI3;

// Inside the repo (under node_modules/.cache) so `openapi-fetch` resolves as it does for a reader.
mkdirSync(join(ROOT, 'node_modules/.cache'), { recursive: true });
const scratch = mkdtempSync(join(ROOT, 'node_modules/.cache/readme-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Type errors of the README's TypeScript client example against the given `api.d.ts`. */
function typeErrors(apiTypes: string, name: string): string[] {
  const dir = join(scratch, name);
  mkdirSync(dir);
  const [example] = readmeBlocks(readme, 'client-example');
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

describe('README', () => {
  it('marks the blocks CI runs', () => {
    for (const name of ['tour', 'client-example', 'node-env', 'backup', 'reset', 'restore']) {
      expect(readmeBlocks(readme, name).length, name).toBeGreaterThan(0);
    }
  });

  it('client example type-checks against types from `npm run generate:client` (file parts are Blob)', async () => {
    const [example] = readmeBlocks(readme, 'client-example');
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
    const risky = curls.filter((line) => /\s-o\s|\|\s*$|\$\(curl/.test(line) && !/curl -f/.test(line));
    expect(risky).toEqual([]);
  });

  it('has no fixed dates in commands, and every file a command reads is in the repo', () => {
    for (const block of shellBlocks) expect(block).not.toMatch(/\b20\d\d-\d\d-\d\d\b/);
    const uploads = shellBlocks.flatMap((b) => [...b.matchAll(/=@([\w./-]+)/g)].map((m) => m[1] ?? ''));
    expect(uploads).toContain('docs/sample.png');
    for (const file of uploads) expect(existsSync(join(ROOT, file)), file).toBe(true);
  });
});
