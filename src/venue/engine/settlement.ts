/**
 * Exact settlement arithmetic for the matching engine.
 *
 * Rounding. A fill of C shares at price q is worth C × q / 10^6 micros of pUSD, which is not always a whole
 * micro (sizes with more than two decimals). Every order therefore keeps the exact running total of what it
 * has traded (`exactCum`, in units of 10^-12 pUSD, a BigInt) and settles against it cumulatively:
 *   - a payer (a BUY order, taker or maker) has always paid ceil(exactCum), and
 *   - a receiver (a SELL order) has always received floor(exactCum) before fees.
 * So no order ever pays more than ceil(limit × size) — exactly what its reservation holds — and no order ever
 * receives more than its fills are worth. What the payers pay beyond what the receivers get and the pairs
 * minted consume (less than one micro per order) goes to the market's `dust`, which is never negative as long
 * as no trade has failed (see MatchingEngine's notes on FAILED trades).
 *
 * Movements. Every balance change a trade makes is recorded as a Movement, so that a trade that FAILS can be
 * reverted exactly, and the receipts a MATCHED trade leaves pending can be released when it is MINED.
 */
import type { Micros } from "../../money";
import type { AccountState } from "./accounts";

export const SCALE = 1_000_000n;

function ceilDiv(x: bigint): bigint {
  return (x + SCALE - 1n) / SCALE;
}

/** How much more a payer owes when its exact running total grows from `before` by `add`. */
export function payDelta(before: bigint, add: bigint): Micros {
  return Number(ceilDiv(before + add) - ceilDiv(before));
}

/** How much more a receiver gets when its exact running total grows from `before` by `add`. */
export function receiveDelta(before: bigint, add: bigint): Micros {
  return Number((before + add) / SCALE - before / SCALE);
}

/**
 * What a BUY order must still hold in reserve: the most it can yet pay if all of `remaining` filled at its limit,
 * given what it has traded so far. For a fresh order this is ceil(price × size).
 */
export function buyReservation(price: Micros, remaining: Micros, exactCum: bigint): Micros {
  return Number(ceilDiv(exactCum + BigInt(price) * BigInt(remaining)) - ceilDiv(exactCum));
}

/** Fees and rounding remainders a market has collected. */
export class FeePool {
  /** Taker SELL fees, pUSD. */
  fees: Micros = 0;
  /** Taker BUY fees withheld in shares, by token index (0 = Up, 1 = Down). */
  readonly shares: [Micros, Micros] = [0, 0];
  /** Rounding remainders, pUSD (see the module notes). */
  dust: Micros = 0;
}

export type PoolAsset = "fees" | "dust" | 0 | 1;

export type Movement =
  | {
      kind: "account";
      account: AccountState;
      /** null for pUSD collateral, else the token. */
      tokenId: string | null;
      amount: Micros;
      /** A receipt that stays unavailable until the trade is MINED. */
      pending: boolean;
    }
  | { kind: "pool"; pool: FeePool; asset: PoolAsset; amount: Micros };

function applyPool(pool: FeePool, asset: PoolAsset, amount: Micros): void {
  if (asset === "fees") pool.fees += amount;
  else if (asset === "dust") pool.dust += amount;
  else pool.shares[asset] += amount;
}

/** Applies one movement and returns it (so callers can record it in the same breath). */
export function applyMovement(m: Movement): Movement {
  if (m.kind === "pool") {
    applyPool(m.pool, m.asset, m.amount);
    return m;
  }
  if (m.tokenId === null) {
    m.account.collateral += m.amount;
    if (m.pending) m.account.pendingCollateral += m.amount;
  } else {
    m.account.addShares(m.tokenId, m.amount);
    if (m.pending) m.account.addPendingShares(m.tokenId, m.amount);
  }
  return m;
}

/** The trade was MINED: its pending receipts become available. */
export function releasePending(movements: readonly Movement[]): void {
  for (const m of movements) {
    if (m.kind !== "account" || !m.pending) continue;
    if (m.tokenId === null) m.account.pendingCollateral -= m.amount;
    else m.account.addPendingShares(m.tokenId, -m.amount);
  }
}

/** The trade FAILED (before being mined): undoes every movement, pending receipts included. */
export function revertMovements(movements: readonly Movement[]): void {
  for (let i = movements.length - 1; i >= 0; i--) {
    const m = movements[i]!;
    if (m.kind === "pool") {
      applyPool(m.pool, m.asset, -m.amount);
      continue;
    }
    if (m.tokenId === null) {
      m.account.collateral -= m.amount;
      if (m.pending) m.account.pendingCollateral -= m.amount;
    } else {
      m.account.addShares(m.tokenId, -m.amount);
      if (m.pending) m.account.addPendingShares(m.tokenId, -m.amount);
    }
  }
}
