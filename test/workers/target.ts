import { exports } from 'cloudflare:workers';
import type { Target } from '../support/target';

/** The worker under test, called in-process through its own fetch handler. */
export const workersTarget: Target = {
  name: 'workers',
  fetch: (path, init) => exports.default.fetch(new Request(new URL(path, 'http://localhost:8000'), init)),
};
