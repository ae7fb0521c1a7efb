CREATE TABLE `api_keys` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`prefix` text NOT NULL,
	`key_hash` text NOT NULL,
	`name` text,
	`scope` text NOT NULL,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`last_used_at` integer,
	`expires_at` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_key_hash_unique` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_user_idx` ON `api_keys` (`user_id`,`id`);--> statement-breakpoint
CREATE TABLE `usage_days` (
	`user_id` integer NOT NULL,
	`day` text NOT NULL,
	`bytes_uploaded` integer DEFAULT 0 NOT NULL,
	`bytes_downloaded` integer DEFAULT 0 NOT NULL,
	`uploads_refused` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`user_id`, `day`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `usage_requests` (
	`user_id` integer NOT NULL,
	`day` text NOT NULL,
	`operation` text NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`user_id`, `day`, `operation`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `user_usage` (
	`user_id` integer PRIMARY KEY NOT NULL,
	`images_count` integer DEFAULT 0 NOT NULL,
	`bytes_stored` integer DEFAULT 0 NOT NULL,
	`max_images` integer,
	`max_bytes` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `user_usage_bytes_idx` ON `user_usage` (`bytes_stored`,`user_id`);--> statement-breakpoint
-- Hand-written (keep it when regenerating this migration): the stored totals of images uploaded
-- before it, since totals are only ever adjusted, never recounted.
INSERT INTO `user_usage` (`user_id`, `images_count`, `bytes_stored`) SELECT `owner_id`, count(*), coalesce(sum(`size`), 0) FROM `images` GROUP BY `owner_id`;