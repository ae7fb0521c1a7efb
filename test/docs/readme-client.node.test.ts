import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataDir, ROOT, startInProcess } from '../support/node/servers';

// The API guide's "API documentation and typed clients" commands (docs/api.md), run as a reader
// would: from the
// project folder, against a running server (here in this process, on a free loopback port
// instead of :8000), writing into a temporary folder instead of the reader's. The command
// once failed only here, because openapi-typescript read the project's own Redocly config.

const run = promisify(execFile);
const GUIDE = join(ROOT, 'docs/api.md');
const GUIDE_ORIGIN = 'http://localhost:8000';

/** The API guide's inline command that starts with `start`, as written. */
async function guideCommand(start: string): Promise<string> {
  const guide = await readFile(GUIDE, 'utf8');
  const command = [...guide.matchAll(/`([^`\n]+)`/g)].map((m) => m[1] ?? '').find((c) => c.startsWith(start));
  if (!command) throw new Error(`docs/api.md shows no \`${start}…\` command`);
  return command;
}

/** The API guide's TypeScript example that uses the generated client. */
async function guideClientExample(): Promise<string> {
  const guide = await readFile(GUIDE, 'utf8');
  const example = [...guide.matchAll(/```ts\n([\s\S]*?)```/g)]
    .map((m) => m[1] ?? '')
    .find((code) => code.includes("from 'openapi-fetch'"));
  if (!example) throw new Error('docs/api.md has no openapi-fetch example');
  return example;
}

describe('the API guide’s client commands, from the project folder', () => {
  let server: Awaited<ReturnType<typeof startInProcess>>;
  let data: Awaited<ReturnType<typeof dataDir>>;
  let out: string;

  beforeAll(async () => {
    data = await dataDir();
    server = await startInProcess(data.env);
    out = await mkdtemp(join(tmpdir(), 'imageapi-client-'));
  });

  afterAll(async () => {
    await server?.shutdown('tests done');
    await data?.remove();
    if (out) await rm(out, { recursive: true, force: true });
  });

  /** Splits a guide command into words, pointing it at this server and the temp folder. */
  const adapt = (command: string, output: string) =>
    command.split(/\s+/).map((word) => {
      if (word.startsWith(GUIDE_ORIGIN)) return server.origin + word.slice(GUIDE_ORIGIN.length);
      if (word === output) return join(out, output);
      return word;
    });

  it('plain `npx openapi-typescript <served document> -o api.d.ts` works from the project folder', async () => {
    // `npx` would resolve the devDependency to the same file; calling it directly keeps any
    // chance of a registry lookup out of the test. It once failed only here, on the legacy pair.
    const args = [`${server.origin}/api/openapi.json`, '-o', join(out, 'plain.d.ts')];
    await run(join(ROOT, 'node_modules/.bin/openapi-typescript'), args, { cwd: ROOT, timeout: 120_000 }).catch(
      (err: { stderr?: string; message: string }) => {
        throw new Error(`openapi-typescript failed in the project folder:\n${err.stderr ?? err.message}`);
      },
    );
    const types = await readFile(join(out, 'plain.d.ts'), 'utf8');
    expect(types).toContain('"/api/image/{img_id}"'); // the legacy pair that once stopped it
    expect(types).toContain('"/api/{img_id}/tags"');
  });

  it('the API guide’s `npm run generate:client -- --url <served document> -o api.d.ts` writes the client types', async () => {
    const command = await guideCommand('npm run generate:client -- --url ');
    expect(command).toBe(`npm run generate:client -- --url ${GUIDE_ORIGIN}/api/openapi.json -o api.d.ts`);
    const [tool = '', ...args] = adapt(command, 'api.d.ts');
    const { stderr } = await run(tool, args, { cwd: ROOT, timeout: 120_000 }).catch(
      (err: { stderr?: string; message: string }) => {
        throw new Error(`${command} failed in the project folder:\n${err.stderr ?? err.message}`);
      },
    );
    const types = await readFile(join(out, 'api.d.ts'), 'utf8');
    expect(types, stderr).toContain('export interface paths');
    expect(types).toContain('"/api/v1/images"');
    expect(types).toContain('Blob');
  });

  it('the API guide’s openapi-fetch example type-checks against the generated types', async () => {
    await writeFile(join(out, 'example.ts'), await guideClientExample());
    await writeFile(
      join(out, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2023', 'DOM'],
          module: 'ES2022',
          moduleResolution: 'Bundler',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          // The example reads the sample image with node:fs.
          typeRoots: [join(ROOT, 'node_modules/@types')],
          types: ['node'],
          // The reader has openapi-fetch installed; here it is the project's devDependency.
          paths: { 'openapi-fetch': [join(ROOT, 'node_modules/openapi-fetch')] },
        },
        files: ['example.ts', 'api.d.ts'],
      }),
    );
    const tsc = join(ROOT, 'node_modules/.bin/tsc');
    await run(tsc, ['-p', join(out, 'tsconfig.json')], { cwd: ROOT, timeout: 120_000 }).catch(
      (err: { stdout?: string; message: string }) => {
        throw new Error(`the API guide's example does not compile:\n${err.stdout ?? err.message}`);
      },
    );
  });

  it('`curl -f --create-dirs -o out/openapi.json <served document>` fetches the document the server serves', async () => {
    const command = await guideCommand('curl -f --create-dirs -o out/openapi.json ');
    const [tool = '', ...args] = adapt(command, 'out/openapi.json');
    await run(tool, args, { cwd: ROOT, timeout: 30_000 });
    const saved = JSON.parse(await readFile(join(out, 'out/openapi.json'), 'utf8')) as { openapi: string };
    const served = (await (await fetch(`${server.origin}/api/openapi.json`)).json()) as unknown;
    expect(saved).toEqual(served);
  });
});
