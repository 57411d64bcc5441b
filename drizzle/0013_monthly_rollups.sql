-- Edited by hand: the rollups are WITHOUT ROWID (no rowid records the order rows were written in, see
-- 0001_random_response_ids.sql), and filled from existing data before daily_rollups goes: monthly sums from its days,
-- the others from the live responses (not voided: voided, held and importing rows are in no rollup).
CREATE TABLE `answer_rollups` (
	`survey_id` integer NOT NULL,
	`neighborhood_id` integer NOT NULL,
	`month` text NOT NULL,
	`question_id` integer NOT NULL,
	`value` integer NOT NULL,
	`n` integer NOT NULL,
	`key_sum` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`survey_id`, `neighborhood_id`, `month`, `question_id`, `value`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `group_rollups` (
	`survey_id` integer NOT NULL,
	`measure` text NOT NULL,
	`neighborhood_id` integer NOT NULL,
	`month` text NOT NULL,
	`question_id` integer NOT NULL,
	`value` text NOT NULL,
	`n` integer NOT NULL,
	`sum` real NOT NULL,
	`sum_squares` real NOT NULL,
	`key_sum` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`survey_id`, `measure`, `neighborhood_id`, `month`, `question_id`, `value`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `monthly_rollups` (
	`survey_id` integer NOT NULL,
	`measure` text NOT NULL,
	`month` text NOT NULL,
	`neighborhood_id` integer NOT NULL,
	`n` integer NOT NULL,
	`sum` real NOT NULL,
	`sum_squares` real NOT NULL,
	`key_sum` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`survey_id`, `measure`, `month`, `neighborhood_id`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `text_rollups` (
	`survey_id` integer NOT NULL,
	`neighborhood_id` integer NOT NULL,
	`question_id` integer NOT NULL,
	`month` text NOT NULL,
	`text_key` text NOT NULL,
	`text` text NOT NULL,
	`n` integer NOT NULL,
	`key_sum` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`survey_id`, `neighborhood_id`, `question_id`, `month`, `text_key`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `monthly_rollups` (`survey_id`, `measure`, `month`, `neighborhood_id`, `n`, `sum`, `sum_squares`, `key_sum`)
  SELECT `survey_id`, `measure`, substr(`day`, 1, 7) || '-01', `neighborhood_id`, sum(`n`), sum(`sum`), sum(`sum_squares`), sum(`key_sum`)
  FROM `daily_rollups` GROUP BY 1, 2, 3, 4;
--> statement-breakpoint
INSERT INTO `group_rollups` (`survey_id`, `measure`, `neighborhood_id`, `month`, `question_id`, `value`, `n`, `sum`, `sum_squares`, `key_sum`)
  SELECT r.`survey_id`, s.`measure`, r.`neighborhood_id`, substr(r.`submitted_on`, 1, 7) || '-01', a.`question_id`, a.`value_text`,
         count(*), sum(s.`score`), sum(s.`score` * s.`score`), sum(r.`cell_key`)
  FROM `responses` r
  JOIN `response_scores` s ON s.`response_id` = r.`id`
  JOIN `answers` a ON a.`response_id` = r.`id` AND a.`value_text` IS NOT NULL
  JOIN `questions` q ON q.`id` = a.`question_id` AND q.`kind` = 'choice'
  WHERE NOT r.`voided` GROUP BY 1, 2, 3, 4, 5, 6;
--> statement-breakpoint
INSERT INTO `answer_rollups` (`survey_id`, `neighborhood_id`, `month`, `question_id`, `value`, `n`, `key_sum`)
  SELECT r.`survey_id`, r.`neighborhood_id`, substr(r.`submitted_on`, 1, 7) || '-01', a.`question_id`, a.`value_number`, count(*), sum(r.`cell_key`)
  FROM `responses` r
  JOIN `answers` a ON a.`response_id` = r.`id` AND a.`value_number` IS NOT NULL
  JOIN `questions` q ON q.`id` = a.`question_id` AND q.`kind` = 'scale'
  WHERE NOT r.`voided` GROUP BY 1, 2, 3, 4, 5;
--> statement-breakpoint
INSERT INTO `text_rollups` (`survey_id`, `neighborhood_id`, `question_id`, `month`, `text_key`, `text`, `n`, `key_sum`)
  SELECT r.`survey_id`, r.`neighborhood_id`, a.`question_id`, substr(r.`submitted_on`, 1, 7) || '-01', lower(trim(a.`value_text`)), lower(trim(a.`value_text`)),
         count(*), sum(r.`cell_key`)
  FROM `responses` r
  JOIN `answers` a ON a.`response_id` = r.`id` AND a.`value_text` IS NOT NULL
  JOIN `questions` q ON q.`id` = a.`question_id` AND q.`kind` = 'text'
  WHERE NOT r.`voided` GROUP BY 1, 2, 3, 4, 5;
--> statement-breakpoint
DROP TABLE `daily_rollups`;