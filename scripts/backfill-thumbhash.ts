// Gives existing images their ThumbHash placeholder (new uploads get one as they are stored).
// Runs against the Node/Bun database and image directory (DATABASE_URL and IMAGES_DIR, or .env),
// through the same service and engine as an upload; safe while the server runs (each image is
// written only while it still has none). Images that get none (AVIF, BMP, TIFF, unverified, a
// failed decode) stay null and are logged.
//
//   npm run backfill:thumbhash
//   npx bun scripts/backfill-thumbhash.ts
import { openLibsql } from '../src/db/libsql';
import { consoleLogger } from '../src/lib/logger';
import { loadSettings } from '../src/runtime/settings';
import { backfillThumbhashes } from '../src/services/thumbhash';
import { fsStore } from '../src/storage/fs/fs-store';
import { sharpTransformer } from '../src/transform/sharp';

/** Images per read: each is decoded in turn, so this bounds only the rows held at once. */
const SLICE = 100;

const settings = loadSettings(process.env);
const logger = consoleLogger;
const database = await openLibsql({ url: settings.databaseUrl, authToken: settings.databaseAuthToken });
const deps = {
  db: database.db,
  store: fsStore(settings.imagesDir),
  transformer: sharpTransformer(),
  config: settings.config,
  logger,
};
let scanned = 0;
let set = 0;
try {
  for (let afterId = 0; ; ) {
    const slice = await backfillThumbhashes(deps, { afterId, limit: SLICE });
    scanned += slice.scanned;
    set += slice.set;
    if (slice.lastId === null) break;
    afterId = slice.lastId;
  }
} finally {
  database.close();
}
console.log(`examined ${scanned} images without a thumbhash; gave ${set} one`);
