CREATE TABLE `share_links` (
	`id` text PRIMARY KEY NOT NULL,
	`image_id` integer NOT NULL,
	`owner_id` integer NOT NULL,
	`variant` text,
	`created_at` integer DEFAULT (CAST(unixepoch('subsec') * 1000 AS INTEGER)) NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`image_id`) REFERENCES `images`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `share_links_image_expires_idx` ON `share_links` (`image_id`,`expires_at`);