import { describe, expect, it } from 'vitest';
import { generatedFiles, REGENERATE } from '../../scripts/openapi';

// The committed document and client types must be what the code generates now: a route change
// without `npm run generate:openapi` fails here, so reviewers see every contract change as a diff
// of test/generated/openapi.json, and the typed client tests compile against the real API.
describe('generated OpenAPI files', () => {
  let files: Awaited<ReturnType<typeof generatedFiles>>;

  it('generates the document and the types from the app', async () => {
    files = await generatedFiles();
    expect(JSON.parse(files.document.fresh)).toMatchObject({ openapi: '3.1.0', info: { title: 'ImageAPI' } });
    expect(files.types.fresh).toContain('export interface paths');
    expect(files.types.fresh).toContain('"/api/v1/user/login"');
  });

  it.each(['document', 'types'] as const)('the committed %s is up to date', (kind) => {
    const { path, fresh, committed } = files[kind];
    if (committed === undefined) expect.fail(`${path} is missing: run \`${REGENERATE}\` and commit it`);
    // Not `toBe`: a diff of thousands of lines would bury the instruction.
    if (committed !== fresh) expect.fail(`${path} is out of date: run \`${REGENERATE}\` and commit the result`);
  });
});
