import { resourceSuite } from './attacks';

// The resource suite against `bun src/bun.ts` as a separate process (see attacks.ts).
resourceSuite('bun');
