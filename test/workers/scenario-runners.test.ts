import { expect, it } from 'vitest';
import { allScenarios } from '../support/scenarios';

// Each scenario runs on Workers from its own file (test/workers/scenarios/); a scenario
// without one would silently run only on Node and Bun.
it('every scenario file has a Workers runner', () => {
  const runners = Object.keys(import.meta.glob('./scenarios/*.test.ts')).map((p) =>
    p.replace(/^.*\//, '').replace(/\.test\.ts$/, ''),
  );
  const scenarios = allScenarios().map(([name]) => name);
  expect(scenarios.length).toBeGreaterThan(0);
  expect(runners.sort()).toEqual(scenarios.sort());
});
