ALTER TABLE `images` ADD `thumbhash` text;--> statement-breakpoint
CREATE INDEX `images_owner_sha256_idx` ON `images` (`owner_id`,`sha256`);