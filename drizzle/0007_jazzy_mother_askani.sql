CREATE TABLE `quarantines` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`survey_id` integer NOT NULL,
	`neighborhood_id` integer NOT NULL,
	`reason` text NOT NULL,
	`status` text DEFAULT 'held' NOT NULL,
	`first_day` text NOT NULL,
	`last_day` text NOT NULL,
	`decided_by` integer,
	`decided_on` text,
	`decision_reason` text,
	FOREIGN KEY (`survey_id`) REFERENCES `surveys`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`neighborhood_id`) REFERENCES `neighborhoods`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`decided_by`) REFERENCES `staff_users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `quarantines_open` ON `quarantines` (`survey_id`,`neighborhood_id`,`reason`,`status`);--> statement-breakpoint
ALTER TABLE `responses` ADD `quarantine_id` integer REFERENCES quarantines(id);--> statement-breakpoint
CREATE INDEX `responses_quarantine` ON `responses` (`quarantine_id`);