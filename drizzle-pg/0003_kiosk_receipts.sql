CREATE TABLE "kiosk_receipts" (
	"answer_hash" text PRIMARY KEY NOT NULL,
	"kiosk_day" date NOT NULL
);
--> statement-breakpoint
CREATE INDEX "kiosk_receipts_day" ON "kiosk_receipts" USING btree ("kiosk_day");