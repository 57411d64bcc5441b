-- Written by hand (drizzle-kit cannot express WITHOUT ROWID, and its own table rebuild would cascade-delete answers:
-- PRAGMA foreign_keys is ignored inside the migrator's transaction). No id or rowid may follow submission order:
-- every existing response gets a random id (1 … 2^53-1), and the tables keyed on it lose their rowid.
CREATE TABLE `__response_keys` (`old_id` integer PRIMARY KEY NOT NULL, `new_id` integer NOT NULL UNIQUE);
--> statement-breakpoint
INSERT INTO `__response_keys` (`old_id`, `new_id`) SELECT `id`, (abs(random()) % 9007199254740991) + 1 FROM `responses`;
--> statement-breakpoint
CREATE TABLE `__new_responses` (
	`id` integer PRIMARY KEY NOT NULL,
	`survey_id` integer NOT NULL,
	`neighborhood_id` integer NOT NULL,
	`submitted_on` text NOT NULL,
	`channel` text NOT NULL,
	`language` text NOT NULL,
	`event_id` integer,
	`import_batch_id` integer,
	`voided` integer DEFAULT false NOT NULL,
	`void_reason` text,
	FOREIGN KEY (`survey_id`) REFERENCES `surveys`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`neighborhood_id`) REFERENCES `neighborhoods`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`event_id`) REFERENCES `events`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`import_batch_id`) REFERENCES `import_batches`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_responses` ("id", "survey_id", "neighborhood_id", "submitted_on", "channel", "language", "event_id", "import_batch_id", "voided", "void_reason")
  SELECT k.`new_id`, r.`survey_id`, r.`neighborhood_id`, r.`submitted_on`, r.`channel`, r.`language`, r.`event_id`, r.`import_batch_id`, r.`voided`, r.`void_reason`
  FROM `responses` r JOIN `__response_keys` k ON k.`old_id` = r.`id` ORDER BY k.`new_id`;
--> statement-breakpoint
CREATE TABLE `__new_answers` (
	`response_id` integer NOT NULL,
	`question_id` integer NOT NULL,
	`value_number` integer,
	`value_text` text,
	PRIMARY KEY(`response_id`, `question_id`),
	FOREIGN KEY (`response_id`) REFERENCES `__new_responses`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`question_id`) REFERENCES `questions`(`id`) ON UPDATE no action ON DELETE no action
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `__new_answers` ("response_id", "question_id", "value_number", "value_text")
  SELECT k.`new_id`, a.`question_id`, a.`value_number`, a.`value_text` FROM `answers` a JOIN `__response_keys` k ON k.`old_id` = a.`response_id`;
--> statement-breakpoint
CREATE TABLE `__new_response_scores` (
	`response_id` integer NOT NULL,
	`measure` text NOT NULL,
	`score` real NOT NULL,
	PRIMARY KEY(`response_id`, `measure`),
	FOREIGN KEY (`response_id`) REFERENCES `__new_responses`(`id`) ON UPDATE no action ON DELETE cascade
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `__new_response_scores` ("response_id", "measure", "score")
  SELECT k.`new_id`, s.`measure`, s.`score` FROM `response_scores` s JOIN `__response_keys` k ON k.`old_id` = s.`response_id`;
--> statement-breakpoint
DROP TABLE `answers`;
--> statement-breakpoint
DROP TABLE `response_scores`;
--> statement-breakpoint
DROP TABLE `responses`;
--> statement-breakpoint
DROP TABLE `__response_keys`;
--> statement-breakpoint
ALTER TABLE `__new_responses` RENAME TO `responses`;
--> statement-breakpoint
ALTER TABLE `__new_answers` RENAME TO `answers`;
--> statement-breakpoint
ALTER TABLE `__new_response_scores` RENAME TO `response_scores`;
--> statement-breakpoint
CREATE INDEX `responses_survey_date` ON `responses` (`survey_id`,`submitted_on`);
--> statement-breakpoint
CREATE INDEX `responses_survey_neighborhood_date` ON `responses` (`survey_id`,`neighborhood_id`,`submitted_on`);
--> statement-breakpoint
CREATE INDEX `responses_import_batch` ON `responses` (`import_batch_id`);
--> statement-breakpoint
CREATE INDEX `responses_event` ON `responses` (`event_id`);
--> statement-breakpoint
CREATE INDEX `answers_question` ON `answers` (`question_id`);
--> statement-breakpoint
CREATE TABLE `__new_daily_rollups` (
	`survey_id` integer NOT NULL,
	`measure` text NOT NULL,
	`day` text NOT NULL,
	`neighborhood_id` integer NOT NULL,
	`n` integer NOT NULL,
	`sum` real NOT NULL,
	`sum_squares` real NOT NULL,
	PRIMARY KEY(`survey_id`, `measure`, `day`, `neighborhood_id`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `__new_daily_rollups` SELECT `survey_id`, `measure`, `day`, `neighborhood_id`, `n`, `sum`, `sum_squares` FROM `daily_rollups`;
--> statement-breakpoint
DROP TABLE `daily_rollups`;
--> statement-breakpoint
ALTER TABLE `__new_daily_rollups` RENAME TO `daily_rollups`;
