CREATE TABLE `themes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`survey_id` integer NOT NULL,
	`code` text NOT NULL,
	`label` text NOT NULL,
	`keywords` text NOT NULL,
	`position` integer NOT NULL,
	FOREIGN KEY (`survey_id`) REFERENCES `surveys`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `themes_survey_code` ON `themes` (`survey_id`,`code`);--> statement-breakpoint
CREATE INDEX `themes_survey_position` ON `themes` (`survey_id`,`position`);