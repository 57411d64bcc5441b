CREATE TABLE `population_margins` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`survey_id` integer NOT NULL,
	`neighborhood_id` integer NOT NULL,
	`question_code` text NOT NULL,
	`option_value` text NOT NULL,
	`count` integer,
	`source` text NOT NULL,
	`year` integer NOT NULL,
	FOREIGN KEY (`survey_id`) REFERENCES `surveys`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`neighborhood_id`) REFERENCES `neighborhoods`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `population_margins_cell` ON `population_margins` (`survey_id`,`neighborhood_id`,`question_code`,`option_value`);