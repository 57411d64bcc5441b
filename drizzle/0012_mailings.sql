-- WITHOUT ROWID added by hand (drizzle-kit cannot express it): no hidden rowid keeps the order codes were made or spent.
CREATE TABLE `invitation_codes` (
	`code_hash` text PRIMARY KEY NOT NULL,
	`mailing_id` integer NOT NULL,
	`spent` integer DEFAULT false NOT NULL,
	FOREIGN KEY (`mailing_id`) REFERENCES `mailings`(`id`) ON UPDATE no action ON DELETE cascade
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `invitation_codes_mailing` ON `invitation_codes` (`mailing_id`);--> statement-breakpoint
CREATE TABLE `mailings` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`survey_id` integer NOT NULL,
	`neighborhood_id` integer NOT NULL,
	`name` text NOT NULL,
	`invitations` integer NOT NULL,
	`mailed_on` text NOT NULL,
	`closes_on` text NOT NULL,
	`not_eligible` integer DEFAULT 0 NOT NULL,
	`created_by` integer,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	FOREIGN KEY (`survey_id`) REFERENCES `surveys`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`neighborhood_id`) REFERENCES `neighborhoods`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by`) REFERENCES `staff_users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `mailings_survey` ON `mailings` (`survey_id`);--> statement-breakpoint
ALTER TABLE `responses` ADD `mailing_id` integer REFERENCES mailings(id);--> statement-breakpoint
CREATE INDEX `responses_mailing` ON `responses` (`mailing_id`);