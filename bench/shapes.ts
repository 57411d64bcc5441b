import { benchCity } from './forms.js';

/** The last day of every generated data set (the last complete month before the bench was written). */
export const BENCH_LAST_DAY = '2026-10-31';

/** A generated city: how many neighborhoods, over how many years up to BENCH_LAST_DAY. */
export interface BenchShape {
  name: string;
  neighborhoods: number;
  years: number;
}

/** The three shapes: a small city over 2 years, Chicago's 77 community areas and a large city over 6 years. */
export const benchShapes: Record<string, BenchShape> = {
  '8x2y': { name: '8x2y', neighborhoods: 8, years: 2 },
  '77x6y': { name: '77x6y', neighborhoods: 77, years: 6 },
  '300x6y': { name: '300x6y', neighborhoods: 300, years: 6 },
};

/** The shape of the figures before the shapes were added (submission, trends and export figures since 2026-11-25). */
export const legacyShape: BenchShape = { name: '40x3y', neighborhoods: 40, years: 3 };

export function parseShape(name: string): BenchShape {
  const match = /^(\d+)x(\d+)y$/.exec(name);
  const shape = benchShapes[name] ?? (match ? { name, neighborhoods: Number(match[1]), years: Number(match[2]) } : undefined);
  if (!shape || shape.neighborhoods < 1 || shape.years < 1) throw new Error(`--shape must be like 8x2y, 77x6y or 300x6y (neighborhoods x years), not ${name}`);
  return shape;
}

/** The first day of a shape's data: `years` whole years before the day after BENCH_LAST_DAY. */
export const firstDayOf = (shape: BenchShape) => `${Number(BENCH_LAST_DAY.slice(0, 4)) - shape.years}-11-01`;

export const cityOf = (shape: BenchShape) => benchCity(shape.neighborhoods);
