import { resourceSuite } from './attacks';

// The resource suite against `wrangler dev` as a separate process (see attacks.ts).
resourceSuite('workerd');
