import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkImportLayers } from '../../scripts/lint-deps';

// `npm run lint:deps` passes on the real tree in CI; here each rule meets a small tree that breaks it.
const trees: string[] = [];
afterEach(() => {
  for (const dir of trees.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A throwaway project: `files` maps a path under it to that module's source. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'import-layers-'));
  trees.push(dir);
  for (const [name, source] of Object.entries(files)) {
    mkdirSync(path.join(dir, path.dirname(name)), { recursive: true });
    writeFileSync(path.join(dir, name), source);
  }
  return dir;
}

describe('import layering (.dependency-cruiser.cjs)', () => {
  it('passes imports that run down the layers', async () => {
    const dir = tree({
      'src/app.ts': "import { handler } from './routes/things';\nexport const app = handler;\n",
      'src/routes/things.ts': "import { things } from '../services/things';\nexport const handler = things;\n",
      'src/services/things.ts': "import { rows } from '../db/things';\nexport const things = rows;\n",
      'src/db/things.ts': "import { LIMIT } from '../limits';\nexport const rows = LIMIT;\n",
      'src/limits.ts': 'export const LIMIT = 1;\n',
    });
    const { exitCode, report } = await checkImportLayers(dir);
    expect(report).toContain('no dependency violations');
    expect(exitCode).toBe(0);
  });

  it.each([
    ['services-imports-upward', { 'src/services/a.ts': "import { r } from '../routes/r';\nexport const a = r;\n" }],
    ['data-imports-upward', { 'src/db/a.ts': "import type { S } from '../services/s';\nexport type A = S;\n" }],
    ['http-imports-upward', { 'src/http/a.ts': "import { app } from '../app';\nexport const a = app;\n" }],
    ['base-imports-upward', { 'src/lib/a.ts': "import { s } from '../storage/s';\nexport const a = s;\n" }],
    ['routes-skip-services', { 'src/routes/a.ts': "import type { Row } from '../db/schema';\nexport type A = Row;\n" }],
    ['no-unlayered-src', { 'src/elsewhere/a.ts': "import { LIMIT } from '../limits';\nexport const a = LIMIT;\n" }],
    [
      'no-circular',
      {
        'src/services/a.ts': "import { b } from './b';\nexport const a = () => b;\n",
        'src/services/b.ts': "import { a } from './a';\nexport const b = () => a;\n",
      },
    ],
  ])('refuses %s', async (rule, files) => {
    const dir = tree({
      ...files,
      'src/routes/r.ts': 'export const r = 1;\n',
      'src/services/s.ts': 'export type S = number;\n',
      'src/storage/s.ts': 'export const s = 1;\n',
      'src/db/schema.ts': 'export type Row = { id: number };\n',
      'src/app.ts': 'export const app = 1;\n',
      'src/limits.ts': 'export const LIMIT = 1;\n',
    });
    const { exitCode, report } = await checkImportLayers(dir);
    expect(report).toContain(`error ${rule}:`);
    expect(exitCode).not.toBe(0);
  });
});
