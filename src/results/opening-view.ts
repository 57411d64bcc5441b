import type { ReleaseRules } from '../stats/cells.js';
import { spanning, type DayRange, type MonthSums } from './sums.js';
import { computeTrends, trendMonths, type TrendRequest } from './trends.js';

/** Rolling windows tried for the opening view, finest first. */
export const openingWindows = [1, 3, 6, 12] as const;

export interface OpeningView {
  rolling: number;
  /** Neighborhoods without a figure for the latest month even in the widest window (0 when the view covers all). */
  missing: number;
  sentence: string;
}

/** The view tried with each window: the months before the request's last one, in single months. */
const candidate = (request: TrendRequest, rolling: number): TrendRequest => ({ ...request, bucket: 'month', rolling, from: request.to, selected: null });

/** The months the opening view reads. */
export const openingMonths = (request: TrendRequest): DayRange => spanning(...openingWindows.map((rolling) => trendMonths(candidate(request, rolling))));

const windowName = (rolling: number) => (rolling === 1 ? 'single-month' : `rolling ${rolling}-month`);

/**
 * The finest monthly view (single months, then rolling 3, 6 and 12 months) in which every neighborhood has a figure
 * for the latest month, with one sentence saying so: at real volumes single months rarely reach the threshold.
 */
export function openingView(sums: MonthSums, rules: ReleaseRules, request: TrendRequest, active: ReadonlySet<string>): OpeningView {
  let fewest = { rolling: openingWindows[openingWindows.length - 1] as number, missing: Infinity };
  for (const rolling of openingWindows) {
    const trends = computeTrends(sums, rules, candidate(request, rolling));
    const missing = trends.series.filter((s) => active.has(s.area) && s.cells.at(-1)?.suppressed).length;
    if (missing === 0) {
      return {
        rolling,
        missing,
        sentence: `Showing ${windowName(rolling)} figures: the finest view in which every neighborhood has at least ${rules.minReliableSize} responses for the latest month.`,
      };
    }
    if (missing < fewest.missing) fewest = { rolling, missing };
  }
  return {
    ...fewest,
    sentence: `Showing ${windowName(fewest.rolling)} figures; even so, ${fewest.missing} neighborhood${fewest.missing === 1 ? ' has' : 's have'} fewer than ${rules.minReliableSize} responses for the latest month.`,
  };
}
