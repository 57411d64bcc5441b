-- WITHOUT ROWID added by hand (drizzle-kit cannot express it): no hidden rowid keeps the order receipts came in.
CREATE TABLE `kiosk_receipts` (
	`answer_hash` text PRIMARY KEY NOT NULL,
	`kiosk_day` text NOT NULL
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `kiosk_receipts_day` ON `kiosk_receipts` (`kiosk_day`);
