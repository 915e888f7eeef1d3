/**
 * The rows of `npm run calibrate`'s table: one statistic per row, the data's value beside the
 * simulator's, shown as decimals (shares, prices) or percentages.
 */
import type { CalibrationStats, CheckpointStats, DepthSummary, SpreadDistribution } from "./statistics";

const pct = (x: number | null): string => (x === null ? "n/a" : `${(x * 100).toFixed(1)}%`);
const int = (x: number): string => Math.round(x).toLocaleString("en-US");
const sharesOf = (d: DepthSummary): string =>
  d.mean === null || d.median === null ? "n/a" : `${int(d.mean)} / ${int(d.median)}`;
const price = (x: number | null): string => (x === null ? "n/a" : x.toFixed(3));
const quartiles = (c: CheckpointStats): string => `${price(c.q1)} / ${price(c.median)} / ${price(c.q3)}`;
const sources = (c: CheckpointStats): string => {
  const mid = c.sources.upMid + c.sources.downMid;
  const one = c.sources.upOneSided + c.sources.downOneSided;
  return `${mid} / ${one} / ${c.missing}`;
};

type Row = [string, string, string];

/** The table's rows: statistic, data, simulator. */
export function calibrationRows(data: CalibrationStats, sim: CalibrationStats): Row[] {
  const rows: Row[] = [];
  const row = (label: string, f: (s: CalibrationStats) => string) => rows.push([label, f(data), f(sim)]);
  row("whole windows", (s) => int(s.windows));
  row("observations (1 per second)", (s) => int(s.observations));
  for (const token of ["up", "down"] as const) {
    const name = token === "up" ? "Up" : "Down";
    const sp = (s: CalibrationStats): SpreadDistribution => s.spread[token];
    row(`${name} spread 1 tick (of two-sided books)`, (s) => pct(sp(s).oneTick));
    row(`${name} spread 2 ticks`, (s) => pct(sp(s).twoTicks));
    row(`${name} spread >= 3 ticks`, (s) => pct(sp(s).threePlusTicks));
  }
  row("crossed or locked books (both tokens)", (s) => int(s.spread.both.crossed));
  row("top-5 bid depth, shares (mean / median)", (s) => sharesOf(s.depth.all.bid));
  row("top-5 ask depth, shares (mean / median)", (s) => sharesOf(s.depth.all.ask));
  row("top-5 bid depth before the last 2 min", (s) => sharesOf(s.depth.earlier.bid));
  row("top-5 bid depth in the last 2 min", (s) => sharesOf(s.depth.late.bid));
  row("top-5 ask depth before the last 2 min", (s) => sharesOf(s.depth.earlier.ask));
  row("top-5 ask depth in the last 2 min", (s) => sharesOf(s.depth.late.ask));
  const minutes = ["min 0-12", "min 12-14", "min 14-15"];
  minutes.forEach((m, i) => {
    row(`one-sided books, ${m}`, (s) => pct(s.sidedness[i]?.oneSided ?? null));
  });
  minutes.forEach((m, i) => {
    row(`empty books, ${m}`, (s) => pct(s.sidedness[i]?.empty ?? null));
  });
  const at = (s: CalibrationStats, i: number) => s.checkpoints[i] as CheckpointStats;
  data.checkpoints.forEach((c, i) => {
    row(`Up price at ${c.label}: within 0.1 of 0 or 1`, (s) => pct(at(s, i).nearZeroOrOne));
    row(`Up price at ${c.label}: quartiles`, (s) => quartiles(at(s, i)));
    row(`Up price at ${c.label}: from mid / one-sided / none`, (s) => sources(at(s, i)));
  });
  return rows;
}

export const CALIBRATION_COLUMNS = ["statistic", "data", "simulator"];
