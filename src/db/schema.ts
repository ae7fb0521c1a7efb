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
    createdAt: createdAt(),
    updatedAt: createdAt(),
  },
  (t) => [uniqueIndex('users_email_unique').on(t.email)],
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
    createdAt: createdAt(),
  },
  (t) => [
    index('images_owner_created_idx').on(t.ownerId, t.createdAt, t.id),
    uniqueIndex('images_storage_key_unique').on(t.storageKey),
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
  (t) => [primaryKey({ columns: [t.imageId, t.tagId] }), index('image_tags_tag_idx').on(t.tagId, t.imageId)],
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
export type ImageRow = typeof images.$inferSelect;
export type ShareLinkRow = typeof shareLinks.$inferSelect;
