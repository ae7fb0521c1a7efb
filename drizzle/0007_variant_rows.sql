CREATE TABLE `image_variants` (
	`image_id` integer NOT NULL,
	`hash` text NOT NULL,
	`key` text NOT NULL,
	`stored` integer DEFAULT false NOT NULL,
	`size` integer DEFAULT 0 NOT NULL,
	`counted` integer NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`image_id`, `hash`),
	FOREIGN KEY (`image_id`) REFERENCES `images`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `image_variants_key_unique` ON `image_variants` (`key`);--> statement-breakpoint
CREATE INDEX `image_variants_pending_idx` ON `image_variants` (`stored`,`created_at`);--> statement-breakpoint
ALTER TABLE `images` ADD `decode_failed_at` integer;