/**
 * Fill analytics of quoting (the pure parts): markouts, toxicity, rebate estimates and P&L attribution.
 *
 * ## Markout
 *
 * The value a fill gained or lost as the market moved after it, signed by side. For a BUY of outcome X at
 * p, with v the value of X at the horizon:
 *
 *   markout per share = v − p        (a SELL: p − v)
 *
 * where v is X's mid at fill time + horizon (the Up mid for Up, 1 − the Up mid for Down: one mirrored book)
 * or, "at resolution", 1 if X won and 0 if it lost. The mid at a time is the last sample at or before it;
 * a horizon later than what has been observed (`asOfMs`) has no markout yet. Reported per share in
 * micros, in ticks (per share ÷ the fill's tick, a float for statistics) and in pUSD for the fill
 * (per share × size, rounded half up to the micro). Horizons are MARKOUT_HORIZONS_MS (1, 5, 15, 30, 60 s).
 *
 * ## Toxicity
 *
 * The share of fills whose 5-s markout is negative, among the fills that have one.
 *
 * ## Rebates and fees
 *
 * A MAKER fill pays no fee and earns an estimated rebate: its fee equivalent — what a taker pays for it,
 * shares × r × (p(1 − p))^e, r = 0.07 and e = 1 for crypto — times the pool's share (20 %), from
 * src/fees.ts estimateMakerRebate. A TAKER fill (never a post-only quote, but analysed the same way) earns
 * none and pays takerFee (its value in pUSD; on a BUY it is withheld in shares).
 *
 * ## Attribution (at one horizon, or at resolution)
 *
 *   net = spread capture + rebates − adverse selection − fees
 *
 * spread capture = (mid at fill − p) × size for a BUY (what buying below the mid earned at once; a SELL:
 * p − mid), adverse selection = spread capture − markout (how much of it the move after the fill took
 * back), so spread capture − adverse selection is the markout exactly.
 */
import { estimateMakerRebate, takerFee } from "../../fees";
import { type Micros, mulMicros, ONE } from "../../money";
import type { OurFill, Outcome } from "../../session/messages";
import type { MarketRules } from "../arbitrage/types";
import { toUpAxis } from "./book";

/** One of our fills with its outcome and the market's tick when it happened. */
export interface AnalysedFill {
  fill: OurFill;
  outcome: Outcome;
  tick: Micros;
}

/** An Up mid observed at a time: the mid series is a list of these, oldest first. */
export interface MidSample {
  atMs: number;
  upMid: Micros;
}

export interface Markout {
  /** Value gained per share, signed by side (micros of pUSD). */
  perShare: Micros;
  /** perShare in ticks of the fill's tick. */
  ticks: number;
  /** perShare × size, pUSD micros (rounded half up). */
  pnl: Micros;
}

export type Horizon = number | "resolution";

/** The Up mid at `atMs`: the last sample at or before it. */
export function midAt(series: readonly MidSample[], atMs: number): Micros | undefined {
  let lo = 0;
  let hi = series.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (series[mid]!.atMs <= atMs) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? undefined : series[lo - 1]!.upMid;
}

function signed(f: AnalysedFill, value: Micros): Micros {
  return f.fill.side === "BUY" ? value - f.fill.price : f.fill.price - value;
}

function markoutOf(f: AnalysedFill, perShare: Micros): Markout {
  return { perShare, ticks: perShare / f.tick, pnl: mulMicros(perShare, f.fill.size, "half-up") };
}

/** The value of the fill's outcome when the Up mid is `upMid`. */
function outcomeValue(outcome: Outcome, upMid: Micros): Micros {
  return toUpAxis(outcome, upMid);
}

/**
 * The markout of a fill at a horizon (module notes); undefined when the horizon is after `asOfMs`, when
 * no mid is known then, or at resolution before `upWon` is known.
 */
export function markout(
  f: AnalysedFill,
  horizon: Horizon,
  series: readonly MidSample[],
  asOfMs: number,
  upWon?: boolean,
): Markout | undefined {
  if (horizon === "resolution") {
    if (upWon === undefined) return undefined;
    const won = (f.outcome === "UP") === upWon;
    return markoutOf(f, signed(f, won ? ONE : 0));
  }
  const at = f.fill.atMs + horizon;
  if (at > asOfMs) return undefined;
  const mid = midAt(series, at);
  if (mid === undefined) return undefined;
  return markoutOf(f, signed(f, outcomeValue(f.outcome, mid)));
}

/** Markouts at every horizon, keyed by horizon in ms, plus "resolution". */
export function markouts(
  f: AnalysedFill,
  horizonsMs: readonly number[],
  series: readonly MidSample[],
  asOfMs: number,
  upWon?: boolean,
): Record<string, Markout | undefined> {
  const out: Record<string, Markout | undefined> = {};
  for (const h of horizonsMs) out[String(h)] = markout(f, h, series, asOfMs, upWon);
  out.resolution = markout(f, "resolution", series, asOfMs, upWon);
  return out;
}

/** The toxicity horizon: 5 s. */
export const TOXICITY_HORIZON_MS = 5_000;

/** Share of fills with a negative 5-s markout among those that have one (module notes). */
export function toxicity(
  fills: readonly AnalysedFill[],
  series: readonly MidSample[],
  asOfMs: number,
): { toxic: number; counted: number; share: number } {
  let toxic = 0;
  let counted = 0;
  for (const f of fills) {
    const m = markout(f, TOXICITY_HORIZON_MS, series, asOfMs);
    if (m === undefined) continue;
    counted += 1;
    if (m.perShare < 0) toxic += 1;
  }
  return { toxic, counted, share: counted === 0 ? 0 : toxic / counted };
}

/** Estimated maker rebate of a fill (0 for a taker fill), pUSD micros. */
export function fillRebate(
  f: AnalysedFill,
  rules: Pick<MarketRules, "feeExponent">,
  rebateShare?: Micros,
): Micros {
  if (f.fill.role !== "MAKER") return 0;
  return estimateMakerRebate(f.fill.size, f.fill.price, f.fill.feeRate, rebateShare, rules.feeExponent);
}

/** The fee a fill paid, pUSD micros (its value; 0 for a maker fill). */
export function fillFee(f: AnalysedFill, rules: Pick<MarketRules, "feeExponent">): Micros {
  if (f.fill.role !== "TAKER") return 0;
  return takerFee(f.fill.size, f.fill.price, f.fill.feeRate, rules.feeExponent);
}

export interface Attribution {
  /** Fills with a markout at the horizon (the others are left out of every term). */
  fills: number;
  spreadCapture: Micros;
  rebates: Micros;
  adverseSelection: Micros;
  fees: Micros;
  /** spreadCapture + rebates − adverseSelection − fees. */
  net: Micros;
}

/** P&L attribution of fills at a horizon (module notes). */
export function attribute(
  fills: readonly AnalysedFill[],
  horizon: Horizon,
  series: readonly MidSample[],
  asOfMs: number,
  rules: Pick<MarketRules, "feeExponent">,
  upWon?: boolean,
  rebateShare?: Micros,
): Attribution {
  const out: Attribution = { fills: 0, spreadCapture: 0, rebates: 0, adverseSelection: 0, fees: 0, net: 0 };
  for (const f of fills) {
    const after = markout(f, horizon, series, asOfMs, upWon);
    const midThen = midAt(series, f.fill.atMs);
    if (after === undefined || midThen === undefined) continue;
    const capture = mulMicros(signed(f, outcomeValue(f.outcome, midThen)), f.fill.size, "half-up");
    out.fills += 1;
    out.spreadCapture += capture;
    out.adverseSelection += capture - after.pnl;
    out.rebates += fillRebate(f, rules, rebateShare);
    out.fees += fillFee(f, rules);
  }
  out.net = out.spreadCapture + out.rebates - out.adverseSelection - out.fees;
  return out;
}
