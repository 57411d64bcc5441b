import '@fastify/session';
import type { Config } from './config.js';
import type { StaffUser } from './db/schema.js';
import type { Store } from './db/store.js';
import type { LoginThrottle } from './auth/login-throttle.js';
import type { StaffRepository } from './auth/staff-repository.js';
import type { EventRepository } from './events/queries.js';
import type { MarginRepository } from './margins/queries.js';
import type { ReleasePolicy } from './results/release.js';
import type { ResultsRepository } from './results/queries.js';
import type { SurveyRepository } from './survey/queries.js';
import type { KioskLinks } from './outreach/links.js';
import type { WeightingRepository } from './weighting/queries.js';
import type { WeightingRunner } from './weighting/runner.js';
import type { Signer } from '@fastify/cookie';
import type { SigningPurpose } from './plugins/session-secret.js';

declare module 'fastify' {
  interface Session {
    userId?: number;
    /** Milliseconds since epoch when the user logged in; enforces the absolute session timeout. */
    loggedInAt?: number;
    /** A message for the next page, after a save, delete or change (one flash pattern everywhere). */
    flash?: string;
  }
  interface FastifyInstance {
    config: Config;
    /** The persistence boundary (src/db/store.ts): repositories reach the database through it only. */
    store: Store;
    surveys: SurveyRepository;
    staff: StaffRepository;
    /** Failed logins per email and client, in the database (src/auth/login-throttle.ts). */
    loginThrottle: LoginThrottle;
    kioskLinks: KioskLinks;
    /** Cookie signers, one key per purpose (HKDF from the session secret). */
    signers: Record<SigningPurpose, Signer>;
    routeList: { method: string; url: string }[];
    /** Who sees exact and who sees protected figures (src/results/release.ts). */
    release: ReleasePolicy;
    /** The sums every figure is computed from (one repository, one cache, for results, public pages, events and outreach). */
    results: ResultsRepository;
    events: EventRepository;
    /** Census counts per neighborhood, the targets weighting rakes to (src/margins/queries.ts). */
    margins: MarginRepository;
    /** Census weights per response and the weighted sums figures use (src/weighting/). */
    weighting: WeightingRepository & WeightingRunner;
  }
  interface FastifyReply {
    /** Template data shared by every page (set by @fastify/view, which does not type it). */
    locals: Record<string, unknown>;
  }
  interface FastifyRequest {
    /** The logged-in staff member, if any (never set on resident requests without a session). */
    staffUser: StaffUser | null;
    /** Language of the page being answered. */
    lang: string;
  }
}
