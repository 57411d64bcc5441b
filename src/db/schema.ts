import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** A resident-facing text in every language it is offered in, keyed by language code ("en", "es"). */
export type LocalizedText = Record<string, string>;

export const surveyStatuses = ['draft', 'open', 'closed'] as const;
export const questionKinds = ['scale', 'choice', 'text'] as const;
/** `0-10`: eleven points, 0 to 10. `agree5`: strongly disagree (1) … strongly agree (5). */
export const scaleTypes = ['0-10', 'agree5'] as const;
export const channels = ['web', 'qr', 'paper', 'kiosk'] as const;
export const staffRoles = ['admin', 'liaison'] as const;
export const eventKinds = ['outreach', 'incident', 'policy', 'other'] as const;

export interface ChoiceOption {
  value: string;
  label: LocalizedText;
}

export const neighborhoods = sqliteTable('neighborhoods', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  population: integer('population'),
  retired: integer('retired', { mode: 'boolean' }).notNull().default(false),
});

export const surveys = sqliteTable('surveys', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  slug: text('slug').notNull().unique(),
  title: text('title', { mode: 'json' }).$type<LocalizedText>().notNull(),
  intro: text('intro', { mode: 'json' }).$type<LocalizedText>().notNull(),
  status: text('status', { enum: surveyStatuses }).notNull().default('draft'),
  languages: text('languages', { mode: 'json' }).$type<string[]>().notNull(),
  // Results may be shown on the public transparency page.
  published: integer('published', { mode: 'boolean' }).notNull().default(false),
  createdAt: text('created_at')
    .notNull()
    .default(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`),
});

export const questions = sqliteTable(
  'questions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    surveyId: integer('survey_id')
      .notNull()
      .references(() => surveys.id, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    code: text('code').notNull(),
    kind: text('kind', { enum: questionKinds }).notNull(),
    prompt: text('prompt', { mode: 'json' }).$type<LocalizedText>().notNull(),
    required: integer('required', { mode: 'boolean' }).notNull().default(false),
    scale: text('scale', { enum: scaleTypes }),
    minLabel: text('min_label', { mode: 'json' }).$type<LocalizedText>(),
    maxLabel: text('max_label', { mode: 'json' }).$type<LocalizedText>(),
    allowDontKnow: integer('allow_dont_know', { mode: 'boolean' }).notNull().default(false),
    dimension: text('dimension'),
    reverseScored: integer('reverse_scored', { mode: 'boolean' }).notNull().default(false),
    // Part of the survey's headline trust score (for the standard survey: respect + listening, Chicago's TRUST).
    inTrustScore: integer('in_trust_score', { mode: 'boolean' }).notNull().default(false),
    options: text('options', { mode: 'json' }).$type<ChoiceOption[]>(),
  },
  (t) => [uniqueIndex('questions_survey_code').on(t.surveyId, t.code), index('questions_survey_position').on(t.surveyId, t.position)],
);

/** What raking one neighborhood-year did, for the pages that show weighted figures (see src/weighting/). */
export interface WeightingReport {
  respondents: number;
  /** False when the neighborhood has no margins: its responses count by the neighborhood's population alone. */
  raked: boolean;
  margins: { question: string; status: string; merged: string[][]; notAnswered: number }[];
  converged: boolean;
  trimRounds: number;
  largestWeightRatio: number;
  withinCap: boolean;
}

/** Words and phrases per language code ("en", "es") that put an answer into a theme. */
export type LocalizedKeywords = Record<string, string[]>;

/** Admin-defined themes the "number one issue" answers are counted into, whatever the language they are written in. */
export const themes = sqliteTable(
  'themes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    surveyId: integer('survey_id')
      .notNull()
      .references(() => surveys.id, { onDelete: 'cascade' }),
    code: text('code').notNull(),
    label: text('label', { mode: 'json' }).$type<LocalizedText>().notNull(),
    keywords: text('keywords', { mode: 'json' }).$type<LocalizedKeywords>().notNull(),
    position: integer('position').notNull(),
  },
  (t) => [uniqueIndex('themes_survey_code').on(t.surveyId, t.code), index('themes_survey_position').on(t.surveyId, t.position)],
);

export const staffUsers = sqliteTable('staff_users', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  email: text('email').notNull().unique(),
  passwordHash: text('password_hash').notNull(),
  role: text('role', { enum: staffRoles }).notNull(),
  createdAt: text('created_at')
    .notNull()
    .default(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`),
  disabled: integer('disabled', { mode: 'boolean' }).notNull().default(false),
});

export const events = sqliteTable(
  'events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    // Per language, like every resident-facing text ({"en": …, "es": …}): public events appear on Spanish pages.
    title: text('title', { mode: 'json' }).$type<LocalizedText>().notNull(),
    occurredOn: text('occurred_on').notNull(),
    // Null: a city-wide event.
    neighborhoodId: integer('neighborhood_id').references(() => neighborhoods.id),
    kind: text('kind', { enum: eventKinds }).notNull(),
    description: text('description'),
    link: text('link'),
    isPublic: integer('is_public', { mode: 'boolean' }).notNull().default(false),
  },
  (t) => [index('events_occurred_on').on(t.occurredOn)],
);

export const importStatuses = ['importing', 'imported'] as const;

export const importBatches = sqliteTable('import_batches', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  surveyId: integer('survey_id')
    .notNull()
    .references(() => surveys.id),
  fileName: text('file_name'),
  rowCount: integer('row_count').notNull(),
  // 'importing' while its rows are being written (hidden); 'imported' once they all became visible in one commit.
  status: text('status', { enum: importStatuses }).notNull().default('imported'),
  createdBy: integer('created_by').references(() => staffUsers.id),
  createdAt: text('created_at')
    .notNull()
    .default(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`),
});

export const quarantineReasons = ['identical-answers', 'volume'] as const;
export const quarantineStatuses = ['held', 'counted', 'voided'] as const;

/**
 * A burst of suspicious answers held out of every figure until an admin counts or voids it. Days only: nothing
 * here records an address or a time of day.
 */
export const quarantines = sqliteTable(
  'quarantines',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    surveyId: integer('survey_id')
      .notNull()
      .references(() => surveys.id),
    neighborhoodId: integer('neighborhood_id')
      .notNull()
      .references(() => neighborhoods.id),
    reason: text('reason', { enum: quarantineReasons }).notNull(),
    status: text('status', { enum: quarantineStatuses }).notNull().default('held'),
    firstDay: text('first_day').notNull(),
    lastDay: text('last_day').notNull(),
    decidedBy: integer('decided_by').references(() => staffUsers.id),
    decidedOn: text('decided_on'),
    decisionReason: text('decision_reason'),
  },
  (t) => [index('quarantines_open').on(t.surveyId, t.neighborhoodId, t.reason, t.status)],
);

// Anonymous by design: no address, user agent, cookie id or time of day; only the calendar date. The id is random
// (assigned by the recorder), so neither it nor the rowid follows submission order.
export const responses = sqliteTable(
  'responses',
  {
    id: integer('id').primaryKey(),
    surveyId: integer('survey_id')
      .notNull()
      .references(() => surveys.id),
    neighborhoodId: integer('neighborhood_id')
      .notNull()
      .references(() => neighborhoods.id),
    submittedOn: text('submitted_on').notNull(),
    channel: text('channel', { enum: channels }).notNull(),
    language: text('language').notNull(),
    eventId: integer('event_id').references(() => events.id, { onDelete: 'set null' }),
    importBatchId: integer('import_batch_id').references(() => importBatches.id),
    voided: integer('voided', { mode: 'boolean' }).notNull().default(false),
    voidReason: text('void_reason'),
    // Random 32-bit key drawn at insert: the perturbation of every figure is a fixed function of its records' keys.
    cellKey: integer('cell_key').notNull().default(0),
    // Set while the response is part of a burst held for review (see src/survey/quarantine.ts), and kept after the decision.
    quarantineId: integer('quarantine_id').references(() => quarantines.id),
    // The census weight (src/weighting/): the residents this response speaks for; null until weighted.
    weight: real('weight'),
    // Set when the answer came through an invitation of a mailing (a probability sample); never which invitation.
    mailingId: integer('mailing_id').references(() => mailings.id),
  },
  (t) => [
    index('responses_quarantine').on(t.quarantineId),
    index('responses_mailing').on(t.mailingId),
    index('responses_survey_date').on(t.surveyId, t.submittedOn),
    index('responses_survey_neighborhood_date').on(t.surveyId, t.neighborhoodId, t.submittedOn),
    index('responses_import_batch').on(t.importBatchId),
    index('responses_event').on(t.eventId),
  ],
);

// answers, response_scores and the monthly, group, answer and text rollups are WITHOUT ROWID tables (by hand, in
// drizzle/0001_random_response_ids.sql and drizzle/0013_monthly_rollups.sql): no hidden rowid records the order rows were written in.
export const answers = sqliteTable(
  'answers',
  {
    responseId: integer('response_id')
      .notNull()
      .references(() => responses.id, { onDelete: 'cascade' }),
    questionId: integer('question_id')
      .notNull()
      .references(() => questions.id),
    // Scale point (0–10 or 1–5) for scale questions.
    valueNumber: integer('value_number'),
    // Option value for choice questions, the text for text questions.
    valueText: text('value_text'),
  },
  (t) => [primaryKey({ columns: [t.responseId, t.questionId] }), index('answers_question').on(t.questionId)],
);

/** Per-respondent scores on 0–100, one row per measure ("trust" or a dimension) the respondent has a score for. */
export const responseScores = sqliteTable(
  'response_scores',
  {
    responseId: integer('response_id')
      .notNull()
      .references(() => responses.id, { onDelete: 'cascade' }),
    measure: text('measure').notNull(),
    score: real('score').notNull(),
  },
  (t) => [primaryKey({ columns: [t.responseId, t.measure] })],
);

/**
 * Sums per survey × measure × month × neighborhood (the release grid's base cell), kept in the response's transaction
 * so intervals are exact. This and the three rollups below count live responses only (never voided, held or importing).
 */
export const monthlyRollups = sqliteTable(
  'monthly_rollups',
  {
    surveyId: integer('survey_id').notNull(),
    measure: text('measure').notNull(),
    month: text('month').notNull(),
    neighborhoodId: integer('neighborhood_id').notNull(),
    n: integer('n').notNull(),
    sum: real('sum').notNull(),
    sumSquares: real('sum_squares').notNull(),
    // Sum of the counted responses' cell keys, from which the perturbation of any bucket holding this month is drawn.
    keySum: integer('key_sum').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.surveyId, t.measure, t.month, t.neighborhoodId] })],
);

/** A measure's sums per choice answer (question × option) and neighborhood-month: the groups of a neighborhood's page. */
export const groupRollups = sqliteTable(
  'group_rollups',
  {
    surveyId: integer('survey_id').notNull(),
    measure: text('measure').notNull(),
    neighborhoodId: integer('neighborhood_id').notNull(),
    month: text('month').notNull(),
    questionId: integer('question_id').notNull(),
    value: text('value').notNull(),
    n: integer('n').notNull(),
    sum: real('sum').notNull(),
    sumSquares: real('sum_squares').notNull(),
    keySum: integer('key_sum').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.surveyId, t.measure, t.neighborhoodId, t.month, t.questionId, t.value] })],
);

/** Answers per scale question × point and neighborhood-month: the answer distributions of a neighborhood's page. */
export const answerRollups = sqliteTable(
  'answer_rollups',
  {
    surveyId: integer('survey_id').notNull(),
    neighborhoodId: integer('neighborhood_id').notNull(),
    month: text('month').notNull(),
    questionId: integer('question_id').notNull(),
    value: integer('value').notNull(),
    n: integer('n').notNull(),
    keySum: integer('key_sum').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.surveyId, t.neighborhoodId, t.month, t.questionId, t.value] })],
);

/** Answers per text question × text (lower(trim(value_text)), so identical answers count together) and neighborhood-month. */
export const textRollups = sqliteTable(
  'text_rollups',
  {
    surveyId: integer('survey_id').notNull(),
    neighborhoodId: integer('neighborhood_id').notNull(),
    questionId: integer('question_id').notNull(),
    month: text('month').notNull(),
    // The text as a key: the text itself here; its MD5 on PostgreSQL, whose B-tree entries hold at most 2,704 bytes
    // (a 1,000-character answer in a CJK script takes about 3,000).
    textKey: text('text_key').notNull(),
    text: text('text').notNull(),
    n: integer('n').notNull(),
    keySum: integer('key_sum').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.surveyId, t.neighborhoodId, t.questionId, t.month, t.textKey] })],
);

/**
 * Weighted sums per survey × measure × month × neighborhood (a base cell of the release grid), rewritten whenever a
 * neighborhood-year is weighted again. With the weights w and scores y of its responses.
 */
export const weightedRollups = sqliteTable(
  'weighted_rollups',
  {
    surveyId: integer('survey_id').notNull(),
    measure: text('measure').notNull(),
    month: text('month').notNull(),
    neighborhoodId: integer('neighborhood_id').notNull(),
    n: integer('n').notNull(),
    sumW: real('sum_w').notNull(),
    sumW2: real('sum_w2').notNull(),
    sumWY: real('sum_wy').notNull(),
    sumWY2: real('sum_wy2').notNull(),
    sumW2Y: real('sum_w2y').notNull(),
    sumW2Y2: real('sum_w2y2').notNull(),
    // The largest weight in the cell: the noise on its protected sums is scaled by it, so no one response stands out.
    maxW: real('max_w').notNull(),
  },
  (t) => [primaryKey({ columns: [t.surveyId, t.measure, t.month, t.neighborhoodId] })],
);

/**
 * Weighting per survey × neighborhood × month: a month's responses are raked with those of the eleven months before it
 * (src/weighting/). A write raises `version` of its month and the eleven after it; the month's weights are current
 * when `weighted_version` equals it. `report` says what the raking did (margins used, merged, trimmed).
 */
export const weightingRuns = sqliteTable(
  'weighting_runs',
  {
    surveyId: integer('survey_id').notNull(),
    neighborhoodId: integer('neighborhood_id').notNull(),
    month: text('month').notNull(),
    version: integer('version').notNull().default(1),
    weightedVersion: integer('weighted_version').notNull().default(0),
    report: text('report', { mode: 'json' }).$type<WeightingReport>(),
  },
  (t) => [primaryKey({ columns: [t.surveyId, t.neighborhoodId, t.month] })],
);

export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: integer('user_id').references(() => staffUsers.id, { onDelete: 'cascade' }),
    data: text('data').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('sessions_user').on(t.userId), index('sessions_expires').on(t.expiresAt)],
);

/** One-time tokens (first-admin setup, password reset), stored only as a SHA-256 hash. */
export const oneTimeTokens = sqliteTable('one_time_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  purpose: text('purpose', { enum: ['setup', 'reset'] }).notNull(),
  userId: integer('user_id').references(() => staffUsers.id, { onDelete: 'cascade' }),
  expiresAt: integer('expires_at').notNull(),
  usedAt: integer('used_at'),
});

/**
 * Failed logins per email and client, so a lockout holds on every app server. The key is a keyed hash of both: no
 * address or email is stored.
 */
export const loginFailures = sqliteTable(
  'login_failures',
  {
    key: text('key').primaryKey(),
    failures: integer('failures').notNull(),
    lockedUntil: integer('locked_until').notNull(),
    /** When these failures are forgotten (15 quiet minutes after the last one or the end of its lock). */
    forgetAt: integer('forget_at').notNull(),
  },
  (t) => [index('login_failures_forget_at').on(t.forgetAt)],
);

export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: text('at')
      .notNull()
      .default(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`),
    userId: integer('user_id').references(() => staffUsers.id),
    action: text('action').notNull(),
    entity: text('entity').notNull(),
    entityId: text('entity_id'),
    details: text('details', { mode: 'json' }).$type<Record<string, unknown>>(),
  },
  (t) => [index('audit_log_at').on(t.at)],
);

/** Kiosk links staff issued (only a SHA-256 hash of each), so they are audited and can be revoked. */
export const kioskLinks = sqliteTable(
  'kiosk_links',
  {
    tokenHash: text('token_hash').primaryKey(),
    surveyId: integer('survey_id')
      .notNull()
      .references(() => surveys.id, { onDelete: 'cascade' }),
    neighborhoodId: integer('neighborhood_id')
      .notNull()
      .references(() => neighborhoods.id),
    eventId: integer('event_id').references(() => events.id, { onDelete: 'set null' }),
    validOn: text('valid_on').notNull(),
    createdBy: integer('created_by').references(() => staffUsers.id),
    createdAt: text('created_at')
      .notNull()
      .default(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`),
    revokedAt: text('revoked_at'),
  },
  (t) => [index('kiosk_links_valid_on').on(t.validOn)],
);

/**
 * Kiosk answers already stored, by the SHA-256 of the random id the device gave each answer (an idempotency key: a
 * replayed answer is stored once). Only the hash and the kiosk day: no time, no response, no device; deleted 30 days
 * after the day. WITHOUT ROWID (drizzle/0010_kiosk_receipts.sql, by hand), so no rowid keeps the order they came in.
 */
export const kioskReceipts = sqliteTable(
  'kiosk_receipts',
  {
    answerHash: text('answer_hash').primaryKey(),
    kioskDay: text('kiosk_day').notNull(),
  },
  (t) => [index('kiosk_receipts_day').on(t.kioskDay)],
);

/**
 * Each neighborhood's census count per option of a demographic question, the targets weighting rakes to. A null count
 * means the census has no count for that option ("another gender", "prefer not to say"): it is not raked.
 */
export const populationMargins = sqliteTable(
  'population_margins',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    surveyId: integer('survey_id')
      .notNull()
      .references(() => surveys.id, { onDelete: 'cascade' }),
    neighborhoodId: integer('neighborhood_id')
      .notNull()
      .references(() => neighborhoods.id),
    questionCode: text('question_code').notNull(),
    optionValue: text('option_value').notNull(),
    count: integer('count'),
    source: text('source').notNull(),
    year: integer('year').notNull(),
  },
  (t) => [uniqueIndex('population_margins_cell').on(t.surveyId, t.neighborhoodId, t.questionCode, t.optionValue)],
);

/**
 * A mailing: invitations with single-use codes sent to a systematic random sample of a neighborhood's addresses. The
 * addresses never enter the app. `notEligible` counts returns an admin recorded as undeliverable or vacant (AAPOR's NE).
 */
export const mailings = sqliteTable(
  'mailings',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    surveyId: integer('survey_id')
      .notNull()
      .references(() => surveys.id),
    neighborhoodId: integer('neighborhood_id')
      .notNull()
      .references(() => neighborhoods.id),
    name: text('name').notNull(),
    invitations: integer('invitations').notNull(),
    mailedOn: text('mailed_on').notNull(),
    closesOn: text('closes_on').notNull(),
    notEligible: integer('not_eligible').notNull().default(0),
    createdBy: integer('created_by').references(() => staffUsers.id),
    createdAt: text('created_at')
      .notNull()
      .default(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`),
  },
  (t) => [index('mailings_survey').on(t.surveyId)],
);

/**
 * Invitation codes, only as SHA-256 hashes, so letters can be printed only when the mailing is made. `spent` is set in
 * the transaction that stores the answer; nothing links a code to its response. WITHOUT ROWID
 * (drizzle/0012_mailings.sql, by hand): no rowid keeps the order codes were made or spent.
 */
export const invitationCodes = sqliteTable(
  'invitation_codes',
  {
    codeHash: text('code_hash').primaryKey(),
    mailingId: integer('mailing_id')
      .notNull()
      .references(() => mailings.id, { onDelete: 'cascade' }),
    spent: integer('spent', { mode: 'boolean' }).notNull().default(false),
  },
  (t) => [index('invitation_codes_mailing').on(t.mailingId)],
);

export const settings = sqliteTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});

export type Neighborhood = typeof neighborhoods.$inferSelect;
export type PopulationMargin = typeof populationMargins.$inferSelect;
export type WeightingRun = typeof weightingRuns.$inferSelect;
export type Survey = typeof surveys.$inferSelect;
export type Question = typeof questions.$inferSelect;
export type SurveyTheme = typeof themes.$inferSelect;
export type NewSurveyTheme = typeof themes.$inferInsert;
export type NewQuestion = typeof questions.$inferInsert;
export type StaffUser = typeof staffUsers.$inferSelect;
export type Event = typeof events.$inferSelect;
export type Response = typeof responses.$inferSelect;
export type KioskLink = typeof kioskLinks.$inferSelect;
export type Mailing = typeof mailings.$inferSelect;
export type Quarantine = typeof quarantines.$inferSelect;
export type Channel = (typeof channels)[number];
export type StaffRole = (typeof staffRoles)[number];
