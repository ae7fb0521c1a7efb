/**
 * A migration that rebuilds `users`, as drizzle-kit generates one to change a column in SQLite,
 * and the same one made safe. Used by the migration checks on D1 (rows really lost) and by the
 * review of drizzle/ (the pattern refused before it ships).
 */

export const REBUILD_USERS = [
  'PRAGMA foreign_keys=OFF;',
  `CREATE TABLE \`__new_users\` (
	\`id\` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	\`email\` text NOT NULL,
	\`password_hash\` text NOT NULL,
	\`token_version\` integer DEFAULT 0 NOT NULL,
	\`created_at\` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	\`updated_at\` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL
);`,
  'INSERT INTO `__new_users`("id", "email", "password_hash", "token_version", "created_at", "updated_at") SELECT "id", "email", "password_hash", "token_version", "created_at", "updated_at" FROM `users`;',
  'DROP TABLE `users`;',
  'ALTER TABLE `__new_users` RENAME TO `users`;',
  'PRAGMA foreign_keys=ON;',
  'CREATE UNIQUE INDEX `users_email_unique` ON `users` (`email`);',
];

/** Every table whose rows cascade from `users`, parents first. */
export const USERS_DEPENDENTS = ['images', 'tags', 'image_tags'];

/** The rows of the cascading tables kept aside before the DROP and put back after the rename. */
export const REBUILD_USERS_SAFELY = [
  ...USERS_DEPENDENTS.map((t) => `CREATE TABLE \`__keep_${t}\` AS SELECT * FROM \`${t}\`;`),
  ...REBUILD_USERS,
  ...USERS_DEPENDENTS.map((t) => `INSERT INTO \`${t}\` SELECT * FROM \`__keep_${t}\`;`),
  ...USERS_DEPENDENTS.map((t) => `DROP TABLE \`__keep_${t}\`;`),
];

/** drizzle-kit's file format: statements separated by breakpoints. */
export const asMigrationFile = (statements: string[]) => statements.join('\n--> statement-breakpoint\n');
