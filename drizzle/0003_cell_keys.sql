ALTER TABLE `daily_rollups` ADD `key_sum` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `responses` ADD `cell_key` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE `responses` SET `cell_key` = abs(random()) % 4294967296;--> statement-breakpoint
UPDATE `daily_rollups` SET `key_sum` = coalesce((
  SELECT sum(r.cell_key) FROM `responses` r JOIN `response_scores` s ON s.response_id = r.id AND s.measure = daily_rollups.measure
  WHERE r.survey_id = daily_rollups.survey_id AND r.neighborhood_id = daily_rollups.neighborhood_id AND r.submitted_on = daily_rollups.day AND r.voided = 0
), 0);
