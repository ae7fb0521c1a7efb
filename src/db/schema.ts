import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** Times are UTC milliseconds since the epoch; the API renders them as unix seconds or ISO 8601. */
const createdAt = () =>
  integer({ mode: 'number' }).notNull().default(sql`(CAST(unixepoch('subsec') * 1000 AS INTEGER))`);

export const users = sqliteTable(
  'users',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    // Stored lower-cased so uniqueness is case-insensitive.
    email: text().notNull(),
    // `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>`: parameters travel with the hash.
    passwordHash: text().notNull(),
    // Bumped on logout: tokens carry the version they were issued under.
    tokenVersion: integer().notNull().default(0),
    // May use the admin API. Set only by an operator action (scripts/operator.ts, or the
    // equivalent SQL on D1), never by anything a request can do.
    isOperator: integer({ mode: 'boolean' }).notNull().default(false),
    // Set when the account's deletion began (services/account-lifecycle.ts): from then on no
    // session or login is accepted, and a retried delete or housekeeping finishes it.
    deletingAt: integer({ mode: 'number' }),
    createdAt: createdAt(),
    updatedAt: createdAt(),
  },
  (t) => [uniqueIndex('users_email_unique').on(t.email), index('users_deleting_idx').on(t.deletingAt)],
);

export const images = sqliteTable(
  'images',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    ownerId: integer()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    contentType: text().notNull(),
    size: integer().notNull(),
    // Random, never derived from user input.
    storageKey: text().notNull(),
    sha256: text().notNull(),
    width: integer(),
    height: integer(),
    // False for bytes no sniffer recognised, stored under the type the (legacy) client declared:
    // served only as downloads, never transformed. Rows from before the column are verified.
    verified: integer({ mode: 'boolean' }).notNull().default(true),
    createdAt: createdAt(),
    // When an engine first failed or refused to decode it (services/variants.ts): from then on
    // variants are refused at once, without reading the bytes again.
    decodeFailedAt: integer({ mode: 'number' }),
    // A ThumbHash (base64) of a verified image an engine decoded (services/thumbhash.ts); NULL
    // when none was made: unverified, AVIF/BMP/TIFF, a failed decode, or not backfilled yet.
    thumbhash: text(),
  },
  (t) => [
    index('images_owner_created_idx').on(t.ownerId, t.createdAt, t.id),
    uniqueIndex('images_storage_key_unique').on(t.storageKey),
    // The duplicate check and the `sha256` list filter: one owner's images with these bytes.
    // Not unique: `on_duplicate=allow` keeps storing copies.
    index('images_owner_sha256_idx').on(t.ownerId, t.sha256),
  ],
);

/**
 * A row per stored variant (and per variant being made), so MAX_VARIANTS_PER_IMAGE is reserved
 * by one conditional insert and a variant's bytes count in its owner's `bytes_stored`
 * (services/variants.ts). Deleted with its image, in the image's delete batch.
 */
export const imageVariants = sqliteTable(
  'image_variants',
  {
    imageId: integer()
      .notNull()
      .references(() => images.id, { onDelete: 'cascade' }),
    hash: text().notNull(),
    // Its key in the byte store (variants/<image storage key>/<hash>.<ext>).
    key: text().notNull(),
    // False while it is being made; true once its bytes are stored and counted.
    stored: integer({ mode: 'boolean' }).notNull().default(false),
    // Bytes counted in the owner's `bytes_stored`: 0 until stored.
    size: integer().notNull().default(0),
    // False for the list thumbnail, which MAX_VARIANTS_PER_IMAGE does not count.
    counted: integer({ mode: 'boolean' }).notNull(),
    createdAt: integer({ mode: 'number' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.imageId, t.hash] }),
    uniqueIndex('image_variants_key_unique').on(t.key),
    index('image_variants_pending_idx').on(t.stored, t.createdAt),
  ],
);

export const tags = sqliteTable(
  'tags',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    ownerId: integer()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    // How many images carry the tag, kept exact by triggers on image_tags (drizzle/0009), so the
    // tag list reads it instead of counting image_tags.
    imageCount: integer().notNull().default(0),
  },
  (t) => [uniqueIndex('tags_owner_name_unique').on(t.ownerId, t.name)],
);

export const imageTags = sqliteTable(
  'image_tags',
  {
    imageId: integer()
      .notNull()
      .references(() => images.id, { onDelete: 'cascade' }),
    tagId: integer()
      .notNull()
      .references(() => tags.id, { onDelete: 'cascade' }),
    // Keeps the order the client gave.
    position: integer().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.imageId, t.tagId] }),
    index('image_tags_tag_idx').on(t.tagId, t.imageId),
    // An image's tags in order straight from the index (no sort per listed image), covering.
    index('image_tags_image_position_idx').on(t.imageId, t.position, t.tagId),
  ],
);

/**
 * API keys: only the SHA-256 of the whole key is stored (see src/auth/api-key.ts). Revoking
 * deletes the row, so a revoked key is simply unknown.
 */
export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    // `iak_<user id>_<short id>`: the part of the key shown in lists, for recognition.
    prefix: text().notNull(),
    keyHash: text().notNull(),
    name: text(),
    scope: text({ enum: ['read', 'read-write'] }).notNull(),
    createdAt: createdAt(),
    // Written at most once a minute per key, after the response.
    lastUsedAt: integer({ mode: 'number' }),
    expiresAt: integer({ mode: 'number' }),
  },
  (t) => [uniqueIndex('api_keys_key_hash_unique').on(t.keyHash), index('api_keys_user_idx').on(t.userId, t.id)],
);

/**
 * What each user stores, kept exact by the batches that add and remove images (never
 * recounted), and the operator's per-user quota overrides (null: the QUOTA_MAX_* setting;
 * 0: unlimited). A user with no row has stored nothing and has no override.
 */
export const userUsage = sqliteTable(
  'user_usage',
  {
    userId: integer()
      .primaryKey()
      .references(() => users.id, { onDelete: 'cascade' }),
    imagesCount: integer().notNull().default(0),
    bytesStored: integer().notNull().default(0),
    maxImages: integer(),
    maxBytes: integer(),
  },
  (t) => [index('user_usage_bytes_idx').on(t.bytesStored, t.userId)],
);

/** Per user and UTC day (`YYYY-MM-DD`): bytes moved and uploads refused by a quota. */
export const usageDays = sqliteTable(
  'usage_days',
  {
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    day: text().notNull(),
    bytesUploaded: integer().notNull().default(0),
    bytesDownloaded: integer().notNull().default(0),
    uploadsRefused: integer().notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.userId, t.day] })],
);

/** Per user, UTC day and operation (the OpenAPI operationId): how many requests. */
export const usageRequests = sqliteTable(
  'usage_requests',
  {
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    day: text().notNull(),
    operation: text().notNull(),
    count: integer().notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.userId, t.day, t.operation] })],
);

/**
 * Share links: a row per link, deleted on revocation and with its image. The id is random and
 * travels in the URL with an HMAC of it (auth/share-token.ts); no token is stored.
 */
export const shareLinks = sqliteTable(
  'share_links',
  {
    id: text().primaryKey(),
    imageId: integer()
      .notNull()
      .references(() => images.id, { onDelete: 'cascade' }),
    ownerId: integer()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    // The pinned variant parameters as JSON, or null for the original.
    variant: text(),
    createdAt: createdAt(),
    expiresAt: integer({ mode: 'number' }).notNull(),
  },
  (t) => [index('share_links_image_expires_idx').on(t.imageId, t.expiresAt)],
);

export type UserRow = typeof users.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type ImageRow = typeof images.$inferSelect;

/**
 * Login attempts reserved per (account, address) pair, per address, per account and per device
 * cookie, in fixed windows (services/login-throttle). Keys are SHA-256 digests, so no email or
 * address is stored.
 */
export const loginThrottle = sqliteTable(
  'login_throttle',
  {
    scope: text({ enum: ['pair', 'address', 'account', 'device'] }).notNull(),
    key: text().notNull(),
    // Attempts that failed or are being checked: one is reserved before a password is looked
    // at, and given back when it was right.
    failures: integer().notNull(),
    // When the window that `failures` counts in ends (ms); a failure after it starts a new one.
    resetAt: integer().notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index('login_throttle_reset_idx').on(t.resetAt)],
);

/**
 * Small state kept between housekeeping runs (e.g. where the orphan-bytes sweep stopped), so
 * each run does a bounded amount of work and the next one carries on.
 */
export const housekeeping = sqliteTable('housekeeping', {
  key: text().primaryKey(),
  value: text().notNull(),
  updatedAt: createdAt(),
});

export type ShareLinkRow = typeof shareLinks.$inferSelect;

/**
 * Resumable uploads (services/upload-sessions.ts): declared up front, sent in parts, made an image
 * by `complete`. The row outlives completion until it expires, so completing twice answers the
 * same image; housekeeping aborts what expired open and removes the rows.
 */
export const uploadSessions = sqliteTable(
  'upload_sessions',
  {
    // Random (128 bits, base64url), never a counter: it names the session in URLs.
    id: text().primaryKey(),
    userId: integer()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    fileName: text().notNull(),
    contentType: text().notNull(),
    // The declared size and hash; completion refuses bytes that differ.
    size: integer().notNull(),
    sha256: text(),
    // The tags as a JSON array, already checked.
    tags: text().notNull(),
    partSize: integer().notNull(),
    partCount: integer().notNull(),
    // Where the bytes go (images/<uuid>), and the store's own id for the multipart upload.
    storageKey: text().notNull(),
    multipartId: text(),
    // open → completing → completed | refused; aborted sessions are deleted.
    state: text({ enum: ['open', 'completing', 'completed', 'refused'] }).notNull(),
    // Why completion refused the bytes (said again to a later complete).
    refusal: text(),
    imageId: integer(),
    expiresAt: integer({ mode: 'number' }).notNull(),
    createdAt: createdAt(),
    updatedAt: integer({ mode: 'number' }).notNull(),
  },
  (t) => [index('upload_sessions_user_idx').on(t.userId), index('upload_sessions_expires_idx').on(t.expiresAt)],
);

/** The parts the app received itself (parts sent straight to a store are asked of the store). */
export const uploadParts = sqliteTable(
  'upload_parts',
  {
    uploadId: text()
      .notNull()
      .references(() => uploadSessions.id, { onDelete: 'cascade' }),
    number: integer().notNull(),
    size: integer().notNull(),
    // The store's tag for the part, needed to complete the multipart upload.
    etag: text().notNull(),
    receivedAt: integer({ mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.uploadId, t.number] })],
);

export type UploadSessionRow = typeof uploadSessions.$inferSelect;
export type UploadPartRow = typeof uploadParts.$inferSelect;
