import { describe } from 'vitest';
import { allScenarios } from '../support/scenarios';
import { workersTarget } from './target';

// The runtime-neutral HTTP suite, run inside workerd against the real D1/R2 bindings.
for (const [name, scenario] of allScenarios()) {
  describe(`${name} [workers]`, () => scenario(() => workersTarget));
}
