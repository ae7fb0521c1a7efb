import { describe } from 'vitest';
import { allScenarios } from '../support/scenarios';
import { contractTarget } from './target';

// The runtime-neutral HTTP suite, run inside workerd against the real D1/R2 bindings, with
// every response held to the published OpenAPI document.
for (const [name, scenario] of allScenarios()) {
  describe(`${name} [workers]`, () => scenario(() => contractTarget));
}
