/**
 * The position ledger of one arbitrage position: what each leg holds, paid and received, built only from
 * our fills as the venue reports them (never from what an order asked for, so partial fills are exact).
 *
 * Fills are keyed by their identity, {@link fillKey} (`${tradeId}:${orderId}`, src/protocol/fills.ts, whatever
 * the status); the venue repeats a trade at every status change, and a
 * reconcile replays fills read back over REST, so application must be idempotent and order-independent:
 *   - the first non-FAILED sighting of a key applies the fill; later sightings only move its status;
 *   - which status replaces which is the venue's lifecycle, one rule shared with the fills table
 *     ({@link tradeStatusReplaces}, src/protocol/trade-status.ts): MATCHED < RETRYING < MINED < CONFIRMED
 *     or FAILED, and CONFIRMED and FAILED are both terminal. So any order of the sightings of one trade
 *     gives the same ledger, a CONFIRMED fill is never reversed, and a FAILED one never comes back;
 *   - FAILED reverses an applied (MATCHED, RETRYING or MINED) fill exactly (each fill records its own
 *     effects), and a fill first seen as FAILED never applies.
 *
 * Sellable shares ({@link sellableShares}): the venue releases the shares a BUY received once its trade is
 * MINED (about 2 s after the match), so a SELL can only use those, less what was already sold.
 * The fill's economics (price, size, role, fee rate) are taken from the first sighting; the venue sends the
 * same ones with every status.
 *
 * Fees (src/fees.ts, at the fill's price): a TAKER BUY holds size − buyFeeInShares; a TAKER SELL receives
 * proceedsAfterSell; a MAKER pays nothing. A taker order that swept several levels is reported as one
 * trade at its average price, so its fee here can differ from the venue's per-level total by rounding
 * (micros); a reconcile against balances corrects that drift.
 *
 * All amounts are micros. The ledger is plain JSON-serializable data (workflow state, queries).
 */
import { buyFeeInShares, proceedsAfterSell, takerFee } from "../../fees";
import { divMicros, type Micros, mulMicros, ONE } from "../../money";
import { fillKey } from "../../protocol/fills";
import { tradeReleasesShares, tradeStatusReplaces } from "../../protocol/trade-status";
import type { OurFill, Outcome } from "../../session/messages";
import type { MarketRules } from "./types";

export interface LegPosition {
  /** Shares held: bought net of the fee in shares, less sold. */
  netShares: Micros;
  /** Gross shares matched on BUY fills. */
  boughtShares: Micros;
  /** Shares sold. */
  soldShares: Micros;
  /** pUSD paid on BUY fills (price × size, rounded up to a micro). */
  cost: Micros;
  /** pUSD received on SELL fills, net of fees. */
  proceeds: Micros;
  /** Value of the fees paid, pUSD: SELL fees deducted plus BUY fees (withheld in shares) valued in pUSD. */
  fees: Micros;
  /** Shares withheld as BUY fees. */
  feeShares: Micros;
}

/** One fill as the ledger recorded it (its economics and latest status), with the effects it had (all zero when FAILED). */
export interface AppliedFill
  extends Pick<OurFill, "side" | "role" | "price" | "size" | "feeRate" | "status"> {
  outcome: Outcome;
  /** Effects on its leg while applied. */
  effect: LegPosition;
}

export interface PositionLedger {
  up: LegPosition;
  down: LegPosition;
  /** Every fill seen, keyed by {@link fillKey}. */
  fills: Readonly<Record<string, AppliedFill>>;
}

export function emptyLeg(): LegPosition {
  return { netShares: 0, boughtShares: 0, soldShares: 0, cost: 0, proceeds: 0, fees: 0, feeShares: 0 };
}

export function emptyLedger(): PositionLedger {
  return { up: emptyLeg(), down: emptyLeg(), fills: {} };
}

/** The ledger's key of a fill: its identity across statuses, defined once in src/protocol/fills.ts. */
export { fillKey };

export function leg(ledger: PositionLedger, outcome: Outcome): LegPosition {
  return outcome === "UP" ? ledger.up : ledger.down;
}

function combine(a: LegPosition, b: LegPosition, sign: 1 | -1): LegPosition {
  return {
    netShares: a.netShares + sign * b.netShares,
    boughtShares: a.boughtShares + sign * b.boughtShares,
    soldShares: a.soldShares + sign * b.soldShares,
    cost: a.cost + sign * b.cost,
    proceeds: a.proceeds + sign * b.proceeds,
    fees: a.fees + sign * b.fees,
    feeShares: a.feeShares + sign * b.feeShares,
  };
}

function withLeg(ledger: PositionLedger, outcome: Outcome, next: LegPosition): Omit<PositionLedger, "fills"> {
  return outcome === "UP" ? { up: next, down: ledger.down } : { up: ledger.up, down: next };
}

/** What one fill does to its leg. Throws DecimalError on a malformed fill (e.g. a taker BUY at price 0). */
export function fillEffect(fill: OurFill, rules: Pick<MarketRules, "feeExponent">): LegPosition {
  const e = emptyLeg();
  const taker = fill.role === "TAKER";
  if (fill.side === "BUY") {
    const feeShares = taker
      ? Math.min(buyFeeInShares(fill.size, fill.price, fill.feeRate, rules.feeExponent), fill.size)
      : 0;
    e.netShares = fill.size - feeShares;
    e.boughtShares = fill.size;
    e.cost = mulMicros(fill.size, fill.price, "up");
    e.feeShares = feeShares;
    e.fees = taker ? takerFee(fill.size, fill.price, fill.feeRate, rules.feeExponent) : 0;
  } else {
    const notional = mulMicros(fill.size, fill.price, "down");
    e.netShares = -fill.size;
    e.soldShares = fill.size;
    // The venue never takes more fee than the notional (only conceivable at absurd rates).
    e.proceeds = taker
      ? Math.max(0, proceedsAfterSell(fill.size, fill.price, fill.feeRate, rules.feeExponent))
      : notional;
    e.fees = taker ? Math.min(takerFee(fill.size, fill.price, fill.feeRate, rules.feeExponent), notional) : 0;
  }
  return e;
}

/**
 * Applies one of our fills to the ledger and returns the new ledger (the input is not modified).
 * Idempotent and order-independent per (tradeId, orderId); see the module notes.
 */
export function applyFill(
  ledger: PositionLedger,
  fill: OurFill,
  outcome: Outcome,
  rules: Pick<MarketRules, "feeExponent">,
): PositionLedger {
  const key = fillKey(fill);
  const seen = ledger.fills[key];
  if (seen) {
    if (!tradeStatusReplaces(fill.status, seen.status)) return ledger;
    if (fill.status === "FAILED") {
      // Reverse exactly what the fill did, on the leg it was applied to.
      const reversed = combine(leg(ledger, seen.outcome), seen.effect, -1);
      return {
        ...withLeg(ledger, seen.outcome, reversed),
        fills: { ...ledger.fills, [key]: { ...seen, status: "FAILED", effect: emptyLeg() } },
      };
    }
    return { ...ledger, fills: { ...ledger.fills, [key]: { ...seen, status: fill.status } } };
  }
  const record: Omit<AppliedFill, "effect"> = {
    outcome,
    side: fill.side,
    role: fill.role,
    price: fill.price,
    size: fill.size,
    feeRate: fill.feeRate,
    status: fill.status,
  };
  if (fill.status === "FAILED") {
    return { ...ledger, fills: { ...ledger.fills, [key]: { ...record, effect: emptyLeg() } } };
  }
  const effect = fillEffect(fill, rules);
  return {
    ...withLeg(ledger, outcome, combine(leg(ledger, outcome), effect, 1)),
    fills: { ...ledger.fills, [key]: { ...record, effect } },
  };
}

/** pUSD at risk: paid on buys less received on sells (micros). */
export function netCost(ledger: PositionLedger): Micros {
  return ledger.up.cost + ledger.down.cost - ledger.up.proceeds - ledger.down.proceeds;
}

/** min/max of the net shares as a float in [0, 1], for display; 0 when nothing is held. */
export function hedgeRatio(ledger: PositionLedger): number {
  const up = Math.max(0, ledger.up.netShares);
  const down = Math.max(0, ledger.down.netShares);
  const max = Math.max(up, down);
  return max === 0 ? 0 : Math.min(up, down) / max;
}

/** P&L at resolution if the worse outcome for us wins: min(up, down) shares pay 1 each, less netCost. */
export function guaranteedPnl(ledger: PositionLedger): Micros {
  return Math.min(ledger.up.netShares, ledger.down.netShares) - netCost(ledger);
}

/** P&L at resolution if `outcome` wins. */
export function pnlIfWins(ledger: PositionLedger, outcome: Outcome): Micros {
  return leg(ledger, outcome).netShares - netCost(ledger);
}

/**
 * True when the hedge ratio is below `threshold` (a plain ratio such as 0.8), compared exactly:
 * min × 10^6 < round(threshold × 10^6) × max. A ratio exactly at the threshold is balanced; an empty
 * position needs nothing.
 */
export function needsRebalancing(ledger: PositionLedger, threshold: number): boolean {
  const up = Math.max(0, ledger.up.netShares);
  const down = Math.max(0, ledger.down.netShares);
  const max = Math.max(up, down);
  if (max === 0) return false;
  const min = Math.min(up, down);
  const t = BigInt(Math.round(threshold * ONE));
  return BigInt(min) * BigInt(ONE) < t * BigInt(max);
}

/**
 * Average entry of a leg: pUSD paid per share actually received on its buys (fees in shares included),
 * rounded up to a micro. Sells do not change it (average cost). Undefined when nothing was bought.
 */
export function averageEntry(ledger: PositionLedger, outcome: Outcome): Micros | undefined {
  const l = leg(ledger, outcome);
  const received = l.boughtShares - l.feeShares;
  if (received <= 0) return undefined;
  return divMicros(l.cost, received, "up");
}

/**
 * Shares of `outcome` a SELL may use now: the net shares (after the fee in shares) of the BUY fills whose
 * trade the venue has released — status MINED or CONFIRMED — less every share sold or being sold (SELL
 * fills of any status but FAILED, which are already off the leg). Never negative. Our SELLs are FAK orders,
 * so no unfilled SELL rests on the book holding shares.
 */
export function sellableShares(ledger: PositionLedger, outcome: Outcome): Micros {
  let released = 0;
  for (const f of Object.values(ledger.fills)) {
    if (f.outcome === outcome && f.side === "BUY" && tradeReleasesShares(f.status))
      released += f.effect.netShares;
  }
  return Math.max(0, released - leg(ledger, outcome).soldShares);
}
