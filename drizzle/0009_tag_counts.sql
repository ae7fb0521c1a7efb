ALTER TABLE `tags` ADD `image_count` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE `tags` SET `image_count` = (SELECT count(*) FROM `image_tags` WHERE `image_tags`.`tag_id` = `tags`.`id`);
--> statement-breakpoint
CREATE TRIGGER `image_tags_count_insert` AFTER INSERT ON `image_tags` BEGIN
  UPDATE `tags` SET `image_count` = `image_count` + 1 WHERE `id` = NEW.`tag_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `image_tags_count_delete` AFTER DELETE ON `image_tags` BEGIN
  UPDATE `tags` SET `image_count` = `image_count` - 1 WHERE `id` = OLD.`tag_id`;
END;
--> statement-breakpoint
CREATE TRIGGER `image_tags_count_update` AFTER UPDATE OF `tag_id` ON `image_tags` WHEN NEW.`tag_id` IS NOT OLD.`tag_id` BEGIN
  UPDATE `tags` SET `image_count` = `image_count` - 1 WHERE `id` = OLD.`tag_id`;
  UPDATE `tags` SET `image_count` = `image_count` + 1 WHERE `id` = NEW.`tag_id`;
END;
