import { resourceSuite } from './cases';

// The resource suite against `tsx src/node.ts` as a separate process (see cases.ts).
resourceSuite('node');
