/**
 * Checks that imports run one way (the layers and rules in .dependency-cruiser.cjs); exits 1 and
 * lists every violation otherwise. Calls dependency-cruiser's API rather than its `depcruise`
 * command, which refuses to start on Node 20 (the Node this project supports and CI runs).
 *
 *   npm run lint:deps
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, format } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const LAYERS_CONFIG = path.join(root, '.dependency-cruiser.cjs');

/** Cruises `src` under `baseDir` against the layering rules; `exitCode` is 0 when nothing breaks them. */
export async function checkImportLayers(baseDir = root): Promise<{ exitCode: number; report: string }> {
  const options = await extractDepcruiseOptions(LAYERS_CONFIG);
  const result = await cruise(['src'], { ...options, baseDir, validate: true });
  if (typeof result.output === 'string') throw new Error('dependency-cruiser returned a report, not a result');
  const { output, exitCode } = await format(result.output, { outputType: 'err' });
  return { exitCode, report: String(output) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { exitCode, report } = await checkImportLayers();
  process.stdout.write(report);
  process.exitCode = exitCode === 0 ? 0 : 1;
}
