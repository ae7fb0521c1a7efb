import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vitest/config';

const RUNNER = fileURLToPath(new URL('./run-scenario.ts', import.meta.url));
const SCENARIO_FILE = /\/test\/(?:[\w-]+\/)*([\w-]+)\.scenario\.ts$/;

/**
 * Makes each `*.scenario.ts` under test/ (in whichever feature folder) a Workers test file of
 * its own: the file keeps its one default export (the Node and Bun runners import it) and, in the Workers project only,
 * gets a last line that runs it there. One file per scenario, so each runs in its own isolate
 * (the upload scenarios move tens of MiB; one isolate for all of them ran out of memory), and
 * no hand-written runner per scenario can be forgotten.
 */
export function scenarioFilesRunOnWorkers(): Plugin {
  return {
    name: 'imageapi:scenario-files-run-on-workers',
    enforce: 'pre',
    transform(code, id) {
      const name = SCENARIO_FILE.exec(id.split('?')[0] ?? '')?.[1];
      if (!name) return undefined;
      const exported = /^export default (\w+);\s*$/m.exec(code)?.[1];
      if (!exported) throw new Error(`${id}: a scenario file ends with \`export default <scenario>;\``);
      const run = `import { runOnWorkers as __runOnWorkers } from ${JSON.stringify(RUNNER)};\n__runOnWorkers(${JSON.stringify(name)}, ${exported});\n`;
      return { code: `${code}\n${run}`, map: null };
    },
  };
}
