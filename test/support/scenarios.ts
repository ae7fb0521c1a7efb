import type { TargetRef } from './target';

/** A scenario file's default export: registers its tests against whichever runtime is given. */
export type Scenario = (target: TargetRef) => void;

/** Every `test/scenarios/*.scenario.ts`, so a new file runs on every runtime without wiring. */
export function allScenarios(): [string, Scenario][] {
  const modules = import.meta.glob<{ default: Scenario }>('../scenarios/*.scenario.ts', { eager: true });
  return Object.entries(modules)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([path, mod]) => [path.replace(/^.*\//, '').replace(/\.scenario\.ts$/, ''), mod.default]);
}
