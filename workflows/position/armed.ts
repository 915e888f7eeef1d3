/**
 * An armed position (ARB_ENTRY_PATH=armed): started ahead of need, it waits for the streaming worker's
 * `execute` Update until the window's trading time is over. The validator refuses (no history event) while
 * halted, outside the window, once triggered, or when the book shows no opportunity by the same pure
 * detection; an accepted Update fixes the opportunity in history and its workflow task goes on to schedule
 * both legs (eagerly dispatched activities).
 */
import {
  condition,
  getExternalWorkflowHandle,
  log,
  setHandler,
  sleep,
  upsertSearchAttributes,
} from "@temporalio/workflow";
import type { ExecuteRequest, ExecuteResult } from "../../src/session/messages";
import { detectOpportunity } from "../../src/strategy/arbitrage";
import { PositionState } from "../../src/temporal/search-attributes";
import {
  executeUpdate,
  haltSignal,
  positionStateQuery,
  positionStatusSignal,
  rebalanceNowUpdate,
  resumeSignal,
} from "../definitions";
import type { PositionInput } from "../position";
import type { PositionView } from "../views";
import { executeRefusal, marketRules, rebalanceNowRefusal } from "./refusals";

/** What an accepted `execute` Update gives the position: its opportunity, the book and when it was detected. */
export type Entry = Required<Pick<PositionInput, "opportunity" | "book" | "detectedAtMs">>;

export class ArmedPosition {
  private halted: boolean;
  private entry: Entry | undefined;

  constructor(private readonly input: PositionInput) {
    this.halted = input.armed?.halted ?? false;
  }

  /**
   * Waits for an accepted `execute`: returns the entry and whether the position is halted, or undefined when
   * the window's trading time ended first (the position is then UNUSED, and its session told so).
   */
  async awaitExecute(): Promise<{ entry: Entry; halted: boolean } | undefined> {
    const { market, params } = this.input;
    this.registerHandlers();
    upsertSearchAttributes([{ key: PositionState, value: "ARMED" }]);
    // One timer, never cancelled (see below): the end of the window's trading time.
    const closesAtMs = market.endMs - params.rebalanceFreezeMs;
    let closed = Date.now() >= closesAtMs;
    void sleep(Math.max(1, closesAtMs - Date.now())).then(() => {
      closed = true;
    });
    await condition(() => this.entry !== undefined || closed);
    if (this.entry) return { entry: this.entry, halted: this.halted };
    upsertSearchAttributes([{ key: PositionState, value: "UNUSED" }]);
    await getExternalWorkflowHandle(this.input.sessionWorkflowId)
      .signal(positionStatusSignal, {
        positionId: this.input.positionId,
        executing: false,
        wantsBooks: false,
        done: true,
      })
      .catch((err) => log.warn("session not reachable", { err: String(err) }));
    return undefined;
  }

  private registerHandlers(): void {
    setHandler(haltSignal, () => {
      this.halted = true;
    });
    setHandler(resumeSignal, () => {
      this.halted = false;
    });
    // Refused by its validator until the position has executed (the executing position replaces this handler).
    setHandler(rebalanceNowUpdate, () => Promise.reject(new Error("armed")), {
      validator: () => {
        throw new Error(
          rebalanceNowRefusal({
            phase: "ARMED",
            halted: this.halted,
            orderOpen: false,
            pending: false,
            hedgeRatio: 0,
            nowMs: Date.now(),
            endMs: this.input.market.endMs,
          }),
        );
      },
    });
    setHandler(positionStateQuery, () => this.view());
    setHandler(executeUpdate, (request) => this.execute(request), {
      validator: (request) => {
        const why = executeRefusal(
          request,
          { executing: this.entry !== undefined, halted: this.halted, nowMs: Date.now() },
          this.input.market,
          this.input.params,
        );
        if (why) throw new Error(why);
      },
    });
  }

  /** The accepted `execute` Update: fixes the opportunity (re-detected on the book it carries) in history. */
  private execute(request: ExecuteRequest): ExecuteResult {
    const { market, params } = this.input;
    const opportunity = detectOpportunity(request.book, marketRules(market, request.book), params)!;
    this.entry = { opportunity, book: request.book, detectedAtMs: request.detectedAtMs };
    return {
      positionId: this.input.positionId,
      upShares: opportunity.upShares,
      downShares: opportunity.downShares,
      upLimitPrice: opportunity.upLimitPrice,
      downLimitPrice: opportunity.downLimitPrice,
    };
  }

  private view(): PositionView {
    return {
      positionId: this.input.positionId,
      slug: this.input.market.slug,
      asset: this.input.market.asset,
      phase: "ARMED",
      halted: this.halted,
      upShares: 0,
      downShares: 0,
      netCost: 0,
      hedgeRatio: 0,
      guaranteedPnl: 0,
      rebalanceTrades: 0,
      orders: 0,
      openOrders: 0,
      bufferedFills: 0,
    };
  }
}
