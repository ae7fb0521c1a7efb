import { resourceSuite } from './attacks';

// The resource suite against `tsx src/node.ts` as a separate process (see attacks.ts).
resourceSuite('node');
