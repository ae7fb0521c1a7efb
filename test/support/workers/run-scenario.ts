import { describe } from 'vitest';
import type { Scenario } from '../scenarios';
import { contractTarget } from './target';

/**
 * Runs one scenario file inside workerd against the real D1/R2 bindings, with every response
 * held to the published OpenAPI document. One test file per scenario file, so each gets its
 * own isolate: the upload scenarios move tens of MiB, and one isolate for every scenario ran
 * out of memory now and then.
 */
export function runOnWorkers(name: string, scenario: Scenario): void {
  describe(`${name} [workers]`, () => scenario(() => contractTarget));
}
