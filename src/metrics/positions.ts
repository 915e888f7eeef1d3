/**
 * The live positions this process has written to the ledger, for the position gauges (./registry.ts):
 * how many per state, and per market the lowest hedge ratio, the guaranteed P&L and the net cost.
 *
 * Fed by the database activities (upsertPosition, resolvePosition; ./record.ts). A position leaves when
 * it is resolved, abandoned or left unresolved, and in any case a day after its market ended (a position
 * whose workflow was terminated writes nothing more). After a restart a position is seen again at its
 * next write: the gauges describe the writes of this process, not the whole ledger (`ballast report`).
 */
import type { Micros } from "../money";
import { assetOfSlug, marketOfWorkflowId, UNKNOWN } from "./labels";

/** States of a position that is still being managed. */
export const LIVE_STATES: ReadonlySet<string> = new Set(["OPEN", "BALANCED", "IMBALANCED"]);

/** A live position is dropped this long after its market's end, whatever it last said. */
export const FORGET_AFTER_END_MS = 24 * 60 * 60_000;

/** Finished positions remembered (not to count a retried write twice). */
const FINISHED_KEPT = 10_000;

/** What the gauges need of a position write (src/db/positions.ts PositionRecord). */
export interface PositionWrite {
  id: string;
  marketSlug: string;
  asset: string;
  marketEndAtMs: number;
  status: string;
  yesShares: Micros;
  noShares: Micros;
  totalCost: Micros;
}

interface LivePosition {
  market: string;
  asset: string;
  state: string;
  endAtMs: number;
  yes: Micros;
  no: Micros;
  cost: Micros;
}

export interface MarketPositions {
  market: string;
  asset: string;
  /** min/max of net shares, the lowest among the market's live positions (0 when one holds nothing). */
  minHedgeRatio: number;
  /** pUSD. */
  guaranteedPnl: number;
  /** pUSD. */
  cost: number;
}

/** What a write changed, for the counters. */
export interface PositionChange {
  market: string;
  asset: string;
  /** The state the position entered, if it changed (or is new). */
  entered?: string;
}

const PUSD = 1_000_000;

/** min/max of two share counts, 0 when nothing is held (src/strategy/arbitrage/position.ts hedgeRatio). */
export function hedgeRatio(yes: Micros, no: Micros): number {
  const up = Math.max(0, yes);
  const down = Math.max(0, no);
  const max = Math.max(up, down);
  return max === 0 ? 0 : Math.min(up, down) / max;
}

export class PositionBook {
  private readonly live = new Map<string, LivePosition>();
  /** Positions that left, with the state they left in (oldest first). */
  private readonly finished = new Map<string, string>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Records a write of the position; returns the state it entered, if any. */
  upserted(p: PositionWrite): PositionChange {
    const asset = p.asset ? p.asset.toUpperCase() : assetOfSlug(p.marketSlug);
    const labels = { market: p.marketSlug, asset };
    const done = this.finished.get(p.id);
    if (done === "RESOLVED") return labels;
    const before = this.live.get(p.id)?.state ?? done;
    const change: PositionChange = before === p.status ? labels : { ...labels, entered: p.status };
    if (LIVE_STATES.has(p.status)) {
      this.finished.delete(p.id);
      this.live.set(p.id, {
        ...labels,
        state: p.status,
        endAtMs: p.marketEndAtMs,
        yes: p.yesShares,
        no: p.noShares,
        cost: p.totalCost,
      });
    } else {
      this.finish(p.id, p.status);
    }
    return change;
  }

  /** Records a resolution; `entered` is undefined when this resolution was already counted. */
  resolved(positionId: string): PositionChange {
    const known = this.live.get(positionId);
    const labels = known
      ? { market: known.market, asset: known.asset }
      : (marketOfWorkflowId(positionId) ?? { market: UNKNOWN, asset: UNKNOWN });
    if (this.finished.get(positionId) === "RESOLVED") return labels;
    this.finish(positionId, "RESOLVED");
    return { ...labels, entered: "RESOLVED" };
  }

  /** Live positions per asset and state. */
  byState(): { asset: string; state: string; count: number }[] {
    this.forgetEnded();
    const counts = new Map<string, { asset: string; state: string; count: number }>();
    for (const p of this.live.values()) {
      const key = `${p.asset}\u0000${p.state}`;
      const entry = counts.get(key) ?? { asset: p.asset, state: p.state, count: 0 };
      entry.count += 1;
      counts.set(key, entry);
    }
    return [...counts.values()];
  }

  /** Live positions per market. */
  byMarket(): MarketPositions[] {
    this.forgetEnded();
    const markets = new Map<string, MarketPositions>();
    for (const p of this.live.values()) {
      const m = markets.get(p.market) ?? {
        market: p.market,
        asset: p.asset,
        minHedgeRatio: 1,
        guaranteedPnl: 0,
        cost: 0,
      };
      m.minHedgeRatio = Math.min(m.minHedgeRatio, hedgeRatio(p.yes, p.no));
      m.guaranteedPnl += (Math.min(p.yes, p.no) - p.cost) / PUSD;
      m.cost += p.cost / PUSD;
      markets.set(p.market, m);
    }
    return [...markets.values()];
  }

  private finish(id: string, state: string): void {
    this.live.delete(id);
    this.finished.delete(id);
    this.finished.set(id, state);
    if (this.finished.size > FINISHED_KEPT) {
      const oldest = this.finished.keys().next().value;
      if (oldest !== undefined) this.finished.delete(oldest);
    }
  }

  private forgetEnded(): void {
    const now = this.now();
    for (const [id, p] of this.live) if (p.endAtMs + FORGET_AFTER_END_MS < now) this.live.delete(id);
  }
}

/** The process's book (the position gauges read it). */
export const positionBook = new PositionBook();
