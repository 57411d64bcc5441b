CREATE TABLE "weighted_rollups" (
	"survey_id" integer NOT NULL,
	"measure" text NOT NULL,
	"month" date NOT NULL,
	"neighborhood_id" integer NOT NULL,
	"n" integer NOT NULL,
	"sum_w" double precision NOT NULL,
	"sum_w2" double precision NOT NULL,
	"sum_wy" double precision NOT NULL,
	"sum_wy2" double precision NOT NULL,
	"sum_w2y" double precision NOT NULL,
	"sum_w2y2" double precision NOT NULL,
	"max_w" double precision NOT NULL,
	CONSTRAINT "weighted_rollups_survey_id_measure_month_neighborhood_id_pk" PRIMARY KEY("survey_id","measure","month","neighborhood_id")
);
--> statement-breakpoint
CREATE TABLE "weighting_runs" (
	"survey_id" integer NOT NULL,
	"neighborhood_id" integer NOT NULL,
	"month" date NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"weighted_version" integer DEFAULT 0 NOT NULL,
	"report" jsonb,
	CONSTRAINT "weighting_runs_survey_id_neighborhood_id_month_pk" PRIMARY KEY("survey_id","neighborhood_id","month")
);
--> statement-breakpoint
ALTER TABLE "responses" ADD COLUMN "weight" double precision;--> statement-breakpoint
INSERT INTO "weighting_runs" ("survey_id", "neighborhood_id", "month") SELECT DISTINCT "survey_id", "neighborhood_id", date_trunc('month', "day")::date FROM "daily_rollups";
