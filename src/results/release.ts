import type { FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { lastCompleteMonthEnd } from '../stats/buckets.js';
import type { ReleaseRules } from '../stats/cells.js';

/**
 * The release rules for whoever asks: admins (who can export raw answers anyway) see exact figures up to today;
 * liaisons and the public see perturbed figures of complete months only, so no figure moves with one submission.
 */
export function createReleasePolicy(
  config: Pick<Config, 'MIN_GROUP_SIZE' | 'MIN_RELIABLE_SIZE' | 'LOW_RELIABILITY_SIZE'>,
  options: { perturb: boolean; unsafeSampleParts?: boolean },
) {
  const rules = (perturb: boolean): ReleaseRules => ({
    minGroupSize: config.MIN_GROUP_SIZE,
    minReliableSize: config.MIN_RELIABLE_SIZE,
    lowReliabilitySize: config.LOW_RELIABILITY_SIZE,
    perturb,
  });
  const exact = rules(false);
  const protectedRules: ReleaseRules = options.unsafeSampleParts ? { ...rules(options.perturb), unsafeSampleParts: true } : rules(options.perturb);
  return {
    /** Rules for a request: exact for admins, protected for everyone else. */
    rulesFor: (request: FastifyRequest): ReleaseRules => (request.staffUser?.role === 'admin' ? exact : protectedRules),
    /** Rules for anonymous pages and open data. */
    public: protectedRules,
    /** The last day a figure may include: today for exact figures, the end of the last complete month otherwise. */
    latestDay: (rules: ReleaseRules, today: string): string => (rules === exact ? today : lastCompleteMonthEnd(today)),
  };
}

export type ReleasePolicy = ReturnType<typeof createReleasePolicy>;
