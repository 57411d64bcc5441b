CREATE TABLE `weighted_rollups` (
	`survey_id` integer NOT NULL,
	`measure` text NOT NULL,
	`month` text NOT NULL,
	`neighborhood_id` integer NOT NULL,
	`n` integer NOT NULL,
	`sum_w` real NOT NULL,
	`sum_w2` real NOT NULL,
	`sum_wy` real NOT NULL,
	`sum_wy2` real NOT NULL,
	`sum_w2y` real NOT NULL,
	`sum_w2y2` real NOT NULL,
	`max_w` real NOT NULL,
	PRIMARY KEY(`survey_id`, `measure`, `month`, `neighborhood_id`)
);
--> statement-breakpoint
CREATE TABLE `weighting_runs` (
	`survey_id` integer NOT NULL,
	`neighborhood_id` integer NOT NULL,
	`month` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`weighted_version` integer DEFAULT 0 NOT NULL,
	`report` text,
	PRIMARY KEY(`survey_id`, `neighborhood_id`, `month`)
);
--> statement-breakpoint
ALTER TABLE `responses` ADD `weight` real;--> statement-breakpoint
INSERT INTO `weighting_runs` (`survey_id`, `neighborhood_id`, `month`) SELECT DISTINCT `survey_id`, `neighborhood_id`, substr(`day`, 1, 7) || '-01' FROM `daily_rollups`;
