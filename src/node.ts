// Node entry: `npm run start:node`. Settings and behaviour are shared with Bun in src/runtime.
import { main } from './runtime/local';
import { nodeListen } from './runtime/node-listen';

await main('node', nodeListen);
