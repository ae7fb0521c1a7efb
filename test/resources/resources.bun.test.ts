import { resourceSuite } from './cases';

// The resource suite against `bun src/bun.ts` as a separate process (see cases.ts).
resourceSuite('bun');
