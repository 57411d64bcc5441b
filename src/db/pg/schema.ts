import { sql } from 'drizzle-orm';
import { bigint, boolean, customType, date, doublePrecision, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import {
  channels,
  eventKinds,
  importStatuses,
  questionKinds,
  quarantineReasons,
  quarantineStatuses,
  scaleTypes,
  staffRoles,
  surveyStatuses,
  type ChoiceOption,
  type LocalizedKeywords,
  type LocalizedText,
  type WeightingReport,
} from '../schema.js';
import { isoMoment } from './moment.js';

// The same tables, columns and TypeScript types as ../schema.ts (SQLite), in PostgreSQL's own types; test/db/schemas.test.ts
// proves they match, which is what lets the store hand these tables to repositories typed as SQLite's.
export { channels, eventKinds, importStatuses, questionKinds, quarantineReasons, quarantineStatuses, scaleTypes, staffRoles, surveyStatuses };

/** A moment, kept to the millisecond like strftime('%Y-%m-%dT%H:%M:%fZ') and Date.toISOString(), read back in that form. */
const isoTimestamp = customType<{ data: string; driverData: string }>({
  dataType: () => 'timestamp (3) with time zone',
  fromDriver: isoMoment,
});

// Response ids are random up to 2^53, cell keys 32-bit unsigned, expiries and lockouts milliseconds since 1970: past int4.
const bigNumber = (name: string) => bigint(name, { mode: 'number' });
const day = (name: string) => date(name, { mode: 'string' });

export const neighborhoods = pgTable('neighborhoods', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  population: integer('population'),
  retired: boolean('retired').notNull().default(false),
});

export const surveys = pgTable('surveys', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  slug: text('slug').notNull().unique(),
  title: jsonb('title').$type<LocalizedText>().notNull(),
  intro: jsonb('intro').$type<LocalizedText>().notNull(),
  status: text('status', { enum: surveyStatuses }).notNull().default('draft'),
  languages: jsonb('languages').$type<string[]>().notNull(),
  published: boolean('published').notNull().default(false),
  createdAt: isoTimestamp('created_at')
    .notNull()
    .default(sql`now()`),
});

export const questions = pgTable(
  'questions',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    surveyId: integer('survey_id')
      .notNull()
      .references(() => surveys.id, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    code: text('code').notNull(),
    kind: text('kind', { enum: questionKinds }).notNull(),
    prompt: jsonb('prompt').$type<LocalizedText>().notNull(),
    required: boolean('required').notNull().default(false),
    scale: text('scale', { enum: scaleTypes }),
    minLabel: jsonb('min_label').$type<LocalizedText>(),
    maxLabel: jsonb('max_label').$type<LocalizedText>(),
    allowDontKnow: boolean('allow_dont_know').notNull().default(false),
    dimension: text('dimension'),
    reverseScored: boolean('reverse_scored').notNull().default(false),
    inTrustScore: boolean('in_trust_score').notNull().default(false),
    options: jsonb('options').$type<ChoiceOption[]>(),
  },
  (t) => [uniqueIndex('questions_survey_code').on(t.surveyId, t.code), index('questions_survey_position').on(t.surveyId, t.position)],
);

export const themes = pgTable(
  'themes',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    surveyId: integer('survey_id')
      .notNull()
      .references(() => surveys.id, { onDelete: 'cascade' }),
    code: text('code').notNull(),
    label: jsonb('label').$type<LocalizedText>().notNull(),
    keywords: jsonb('keywords').$type<LocalizedKeywords>().notNull(),
    position: integer('position').notNull(),
  },
  (t) => [uniqueIndex('themes_survey_code').on(t.surveyId, t.code), index('themes_survey_position').on(t.surveyId, t.position)],
);

export const staffUsers = pgTable('staff_users', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  email: text('email').notNull().unique(),
  passwordHash: text('password_hash').notNull(),
  role: text('role', { enum: staffRoles }).notNull(),
  createdAt: isoTimestamp('created_at')
    .notNull()
    .default(sql`now()`),
  disabled: boolean('disabled').notNull().default(false),
});

export const events = pgTable(
  'events',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    title: jsonb('title').$type<LocalizedText>().notNull(),
    occurredOn: day('occurred_on').notNull(),
    neighborhoodId: integer('neighborhood_id').references(() => neighborhoods.id),
    kind: text('kind', { enum: eventKinds }).notNull(),
    description: text('description'),
    link: text('link'),
    isPublic: boolean('is_public').notNull().default(false),
  },
  (t) => [index('events_occurred_on').on(t.occurredOn)],
);

export const importBatches = pgTable('import_batches', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  surveyId: integer('survey_id')
    .notNull()
    .references(() => surveys.id),
  fileName: text('file_name'),
  rowCount: integer('row_count').notNull(),
  status: text('status', { enum: importStatuses }).notNull().default('imported'),
  createdBy: integer('created_by').references(() => staffUsers.id),
  createdAt: isoTimestamp('created_at')
    .notNull()
    .default(sql`now()`),
});

export const quarantines = pgTable(
  'quarantines',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    surveyId: integer('survey_id')
      .notNull()
      .references(() => surveys.id),
    neighborhoodId: integer('neighborhood_id')
      .notNull()
      .references(() => neighborhoods.id),
    reason: text('reason', { enum: quarantineReasons }).notNull(),
    status: text('status', { enum: quarantineStatuses }).notNull().default('held'),
    firstDay: day('first_day').notNull(),
    lastDay: day('last_day').notNull(),
    decidedBy: integer('decided_by').references(() => staffUsers.id),
    decidedOn: day('decided_on'),
    decisionReason: text('decision_reason'),
  },
  (t) => [index('quarantines_open').on(t.surveyId, t.neighborhoodId, t.reason, t.status)],
);

// No sequence on responses and the tables keyed on them: ids are random (the recorder draws them), so neither they nor
// the physical order follow submission order, and several servers or shards can insert without a shared counter.
export const responses = pgTable(
  'responses',
  {
    // Random like the recorder's, where SQLite would fill an omitted id with the next rowid.
    id: bigNumber('id')
      .primaryKey()
      .default(sql`floor(random() * 9007199254740991)::bigint + 1`),
    surveyId: integer('survey_id')
      .notNull()
      .references(() => surveys.id),
    neighborhoodId: integer('neighborhood_id')
      .notNull()
      .references(() => neighborhoods.id),
    submittedOn: day('submitted_on').notNull(),
    channel: text('channel', { enum: channels }).notNull(),
    language: text('language').notNull(),
    eventId: integer('event_id').references(() => events.id, { onDelete: 'set null' }),
    importBatchId: integer('import_batch_id').references(() => importBatches.id),
    voided: boolean('voided').notNull().default(false),
    voidReason: text('void_reason'),
    cellKey: bigNumber('cell_key').notNull().default(0),
    quarantineId: integer('quarantine_id').references(() => quarantines.id),
    weight: doublePrecision('weight'),
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

export const answers = pgTable(
  'answers',
  {
    responseId: bigNumber('response_id')
      .notNull()
      .references(() => responses.id, { onDelete: 'cascade' }),
    questionId: integer('question_id')
      .notNull()
      .references(() => questions.id),
    valueNumber: integer('value_number'),
    valueText: text('value_text'),
  },
  (t) => [primaryKey({ columns: [t.responseId, t.questionId] }), index('answers_question').on(t.questionId)],
);

export const responseScores = pgTable(
  'response_scores',
  {
    responseId: bigNumber('response_id')
      .notNull()
      .references(() => responses.id, { onDelete: 'cascade' }),
    measure: text('measure').notNull(),
    score: doublePrecision('score').notNull(),
  },
  (t) => [primaryKey({ columns: [t.responseId, t.measure] })],
);

export const monthlyRollups = pgTable(
  'monthly_rollups',
  {
    surveyId: integer('survey_id').notNull(),
    measure: text('measure').notNull(),
    month: day('month').notNull(),
    neighborhoodId: integer('neighborhood_id').notNull(),
    n: integer('n').notNull(),
    sum: doublePrecision('sum').notNull(),
    sumSquares: doublePrecision('sum_squares').notNull(),
    keySum: bigNumber('key_sum').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.surveyId, t.measure, t.month, t.neighborhoodId] })],
);

export const groupRollups = pgTable(
  'group_rollups',
  {
    surveyId: integer('survey_id').notNull(),
    measure: text('measure').notNull(),
    neighborhoodId: integer('neighborhood_id').notNull(),
    month: day('month').notNull(),
    questionId: integer('question_id').notNull(),
    value: text('value').notNull(),
    n: integer('n').notNull(),
    sum: doublePrecision('sum').notNull(),
    sumSquares: doublePrecision('sum_squares').notNull(),
    keySum: bigNumber('key_sum').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.surveyId, t.measure, t.neighborhoodId, t.month, t.questionId, t.value] })],
);

export const answerRollups = pgTable(
  'answer_rollups',
  {
    surveyId: integer('survey_id').notNull(),
    neighborhoodId: integer('neighborhood_id').notNull(),
    month: day('month').notNull(),
    questionId: integer('question_id').notNull(),
    value: integer('value').notNull(),
    n: integer('n').notNull(),
    keySum: bigNumber('key_sum').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.surveyId, t.neighborhoodId, t.month, t.questionId, t.value] })],
);

export const textRollups = pgTable(
  'text_rollups',
  {
    surveyId: integer('survey_id').notNull(),
    neighborhoodId: integer('neighborhood_id').notNull(),
    questionId: integer('question_id').notNull(),
    month: day('month').notNull(),
    textKey: text('text_key').notNull(),
    text: text('text').notNull(),
    n: integer('n').notNull(),
    keySum: bigNumber('key_sum').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.surveyId, t.neighborhoodId, t.questionId, t.month, t.textKey] })],
);

export const weightedRollups = pgTable(
  'weighted_rollups',
  {
    surveyId: integer('survey_id').notNull(),
    measure: text('measure').notNull(),
    month: day('month').notNull(),
    neighborhoodId: integer('neighborhood_id').notNull(),
    n: integer('n').notNull(),
    sumW: doublePrecision('sum_w').notNull(),
    sumW2: doublePrecision('sum_w2').notNull(),
    sumWY: doublePrecision('sum_wy').notNull(),
    sumWY2: doublePrecision('sum_wy2').notNull(),
    sumW2Y: doublePrecision('sum_w2y').notNull(),
    sumW2Y2: doublePrecision('sum_w2y2').notNull(),
    maxW: doublePrecision('max_w').notNull(),
  },
  (t) => [primaryKey({ columns: [t.surveyId, t.measure, t.month, t.neighborhoodId] })],
);

export const weightingRuns = pgTable(
  'weighting_runs',
  {
    surveyId: integer('survey_id').notNull(),
    neighborhoodId: integer('neighborhood_id').notNull(),
    month: day('month').notNull(),
    version: integer('version').notNull().default(1),
    weightedVersion: integer('weighted_version').notNull().default(0),
    report: jsonb('report').$type<WeightingReport>(),
  },
  (t) => [primaryKey({ columns: [t.surveyId, t.neighborhoodId, t.month] })],
);

export const sessions = pgTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: integer('user_id').references(() => staffUsers.id, { onDelete: 'cascade' }),
    data: text('data').notNull(),
    expiresAt: bigNumber('expires_at').notNull(),
  },
  (t) => [index('sessions_user').on(t.userId), index('sessions_expires').on(t.expiresAt)],
);

export const oneTimeTokens = pgTable('one_time_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  purpose: text('purpose', { enum: ['setup', 'reset'] }).notNull(),
  userId: integer('user_id').references(() => staffUsers.id, { onDelete: 'cascade' }),
  expiresAt: bigNumber('expires_at').notNull(),
  usedAt: bigNumber('used_at'),
});

export const loginFailures = pgTable(
  'login_failures',
  {
    key: text('key').primaryKey(),
    failures: integer('failures').notNull(),
    lockedUntil: bigNumber('locked_until').notNull(),
    forgetAt: bigNumber('forget_at').notNull(),
  },
  (t) => [index('login_failures_forget_at').on(t.forgetAt)],
);

export const auditLog = pgTable(
  'audit_log',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    at: isoTimestamp('at')
      .notNull()
      .default(sql`now()`),
    userId: integer('user_id').references(() => staffUsers.id),
    action: text('action').notNull(),
    entity: text('entity').notNull(),
    entityId: text('entity_id'),
    details: jsonb('details').$type<Record<string, unknown>>(),
  },
  (t) => [index('audit_log_at').on(t.at)],
);

export const kioskLinks = pgTable(
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
    validOn: day('valid_on').notNull(),
    createdBy: integer('created_by').references(() => staffUsers.id),
    createdAt: isoTimestamp('created_at')
      .notNull()
      .default(sql`now()`),
    revokedAt: isoTimestamp('revoked_at'),
  },
  (t) => [index('kiosk_links_valid_on').on(t.validOn)],
);

/** Kiosk answers already stored, by the hash of the device's random answer id (see ../schema.ts). */
export const kioskReceipts = pgTable(
  'kiosk_receipts',
  {
    answerHash: text('answer_hash').primaryKey(),
    kioskDay: day('kiosk_day').notNull(),
  },
  (t) => [index('kiosk_receipts_day').on(t.kioskDay)],
);

export const mailings = pgTable(
  'mailings',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
    surveyId: integer('survey_id')
      .notNull()
      .references(() => surveys.id),
    neighborhoodId: integer('neighborhood_id')
      .notNull()
      .references(() => neighborhoods.id),
    name: text('name').notNull(),
    invitations: integer('invitations').notNull(),
    mailedOn: day('mailed_on').notNull(),
    closesOn: day('closes_on').notNull(),
    notEligible: integer('not_eligible').notNull().default(0),
    createdBy: integer('created_by').references(() => staffUsers.id),
    createdAt: isoTimestamp('created_at')
      .notNull()
      .default(sql`now()`),
  },
  (t) => [index('mailings_survey').on(t.surveyId)],
);

/** Invitation codes as hashes only (see ../schema.ts). */
export const invitationCodes = pgTable(
  'invitation_codes',
  {
    codeHash: text('code_hash').primaryKey(),
    mailingId: integer('mailing_id')
      .notNull()
      .references(() => mailings.id, { onDelete: 'cascade' }),
    spent: boolean('spent').notNull().default(false),
  },
  (t) => [index('invitation_codes_mailing').on(t.mailingId)],
);

/**
 * Each neighborhood's census count per option of a demographic question, the targets weighting rakes to. A null count
 * means the census has no count for that option ("another gender", "prefer not to say"): it is not raked.
 */
export const populationMargins = pgTable(
  'population_margins',
  {
    id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
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

export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
});
