import type { TargetRef } from './target';

/** A scenario file's default export: registers its tests against whichever runtime is given. */
export type Scenario = (target: TargetRef) => void;

/** A scenario's name: its file name without `.scenario.ts`, the same on every runtime. */
export const scenarioName = (path: string): string => path.replace(/^.*\//, '').replace(/\.scenario\.ts$/, '');

/**
 * Every `*.scenario.ts` under test/, whatever feature folder holds it, so a new file runs on every
 * runtime without wiring. Ordered by name, and names must be unique: a test's name starts with it.
 */
export function allScenarios(): [string, Scenario][] {
  const modules = import.meta.glob<{ default: Scenario }>('../**/*.scenario.ts', { eager: true });
  const named = Object.entries(modules).map(([path, mod]): [string, Scenario, string] => [
    scenarioName(path),
    mod.default,
    path,
  ]);
  const seen = new Map<string, string>();
  for (const [name, , path] of named) {
    const other = seen.get(name);
    if (other) throw new Error(`two scenario files named ${name}: ${other} and ${path}`);
    seen.set(name, path);
  }
  return named.sort(([a], [b]) => a.localeCompare(b)).map(([name, scenario]) => [name, scenario]);
}
