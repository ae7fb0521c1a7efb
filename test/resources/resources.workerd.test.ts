import { resourceSuite } from './cases';

// The resource suite against `wrangler dev` as a separate process (see cases.ts).
resourceSuite('workerd');
