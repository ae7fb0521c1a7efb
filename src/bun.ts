// Bun entry: `npm run start:bun`. Settings and behaviour are shared with Node in src/runtime.
import { bunListen } from './runtime/bun-listen';
import { main } from './runtime/local';

await main('bun', bunListen);
