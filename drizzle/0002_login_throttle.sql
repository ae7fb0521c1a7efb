CREATE TABLE `login_throttle` (
	`scope` text NOT NULL,
	`key` text NOT NULL,
	`failures` integer NOT NULL,
	`reset_at` integer NOT NULL,
	PRIMARY KEY(`scope`, `key`)
);
--> statement-breakpoint
CREATE INDEX `login_throttle_reset_idx` ON `login_throttle` (`reset_at`);