/**
 * The position workflow on the time-skipping server, with mocked activities: every rule of the
 * active position management (seed 000, corrected).
 */
import type { TestWorkflowEnvironment } from "@temporalio/testing";
import { Worker } from "@temporalio/worker";
import { loadConfig } from "../../src/config/load";
import { createLogger } from "../../src/log";
import { type OurFill, workflowIds } from "../../src/session/messages";
import { detectOpportunity } from "../../src/strategy/arbitrage";
import { installTemporalRuntime } from "../../workers/runtime";
import { marketSession, position } from "../../workflows";
import {
  fillsSignal,
  haltSignal,
  marketBookSignal,
  positionStateQuery,
  rebalanceNowSignal,
  resumeSignal,
  sessionStateQuery,
} from "../../workflows/definitions";
import type { PositionInput } from "../../workflows/position";
import { timeSkipping, workflowBundlePath } from "../helpers/temporal";
import { MARKET, MockVenue, snapshot, top, u } from "./harness";

// A $20 budget: the gap of a 60% fill is then above the venue's 5-share minimum order.
const PARAMS = { ...loadConfig({ env: { ARB_ENTRY_PATH: "child" } }).arbitrage, budgetPerTrade: 20_000_000 };
const MINUTE = 60_000;

let env: TestWorkflowEnvironment;
let bundle: string;
let n = 0;

beforeAll(async () => {
  installTemporalRuntime(createLogger({ level: "warn" }));
  env = await timeSkipping();
  bundle = await workflowBundlePath();
});
afterAll(async () => {
  await env?.teardown();
});

/** Up and Down asks sum to 0.92: an arbitrage even after taker fees (≈ 0.035 a pair at p ≈ 0.5). */
const OPENING = snapshot(1, top([[0.44, 50]], [[0.45, 50]]), top([[0.46, 50]], [[0.47, 50]]));

async function input(
  overrides: Partial<PositionInput["params"]> = {},
  endInMs = 15 * MINUTE,
): Promise<PositionInput> {
  const now = await env.currentTimeMs();
  const params = { ...PARAMS, ...overrides };
  const rules = { tickSize: 10_000, minOrderSize: MARKET.minOrderSize, feeRate: 70_000, feeExponent: 1 };
  const opportunity = detectOpportunity(OPENING, rules, params);
  if (!opportunity) throw new Error("the opening book should be an opportunity");
  n += 1;
  return {
    positionId: `position-test-${n}`,
    sessionWorkflowId: "session-that-does-not-exist",
    market: { ...MARKET, startMs: now, endMs: now + endInMs },
    opportunity,
    book: OPENING,
    detectedAtMs: now,
    params,
  };
}

let taskQueue = "positions-0";

/** Each test on its own task queue, so a workflow left over by a failed test never meets another's mocks. */
async function run<T>(venue: MockVenue, fn: () => Promise<T>): Promise<T> {
  taskQueue = `positions-${n}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: bundle },
    activities: venue.activities(),
  });
  return worker.runUntil(fn().finally(() => venue.releaseAll()));
}

const started: string[] = [];
const start = async (i: PositionInput) => {
  started.push(i.positionId);
  return env.client.workflow.start(position, { taskQueue, workflowId: i.positionId, args: [i] });
};

// A workflow left running (a failed test) would hold the time-skipping server's clock still.
afterEach(async () => {
  for (const id of started.splice(0)) {
    await env.client.workflow
      .getHandle(id)
      .terminate("test over")
      .catch(() => undefined);
  }
});

/** The opening Down leg fills 60% (a 10/6 position like the seed's example); everything else fully. */
const partialDown = (req: { intent: { tokenId: string } }, k: number) =>
  k <= 2 && req.intent.tokenId === MARKET.downTokenId ? 0.6 : 1;

/** Neither selling Up nor buying Down is worth it here. */
const NEUTRAL_BOOK = (seq: number) =>
  snapshot(seq, top([[0.3, 50]], [[0.31, 50]]), top([[0.68, 50]], [[0.7, 50]]));

/** Up bid high enough that selling the excess Up is worth it. */
const SELL_BOOK = (seq: number) =>
  snapshot(seq, top([[0.55, 50]], [[0.56, 50]]), top([[0.4, 50]], [[0.47, 50]]));

describe("position workflow (time-skipping, mocked activities)", () => {
  it("executes both legs, stays balanced, and records the P&L at resolution", async () => {
    const venue = new MockVenue();
    venue.winner = "DOWN";
    const i = await input();
    const result = await run(venue, async () => (await start(i)).result());
    expect(venue.placed()).toHaveLength(2);
    expect(result.phase).toBe("RESOLVED");
    expect(result.rebalanceTrades).toBe(0);
    const resolution = venue.named("resolvePosition")[0]?.args[0] as {
      actualProfit: number;
      winningOutcome: string;
    };
    expect(resolution.winningOutcome).toBe("NO");
    // Down won: payout is the Down shares held (net of the BUY fee) less what both legs cost.
    expect(result.pnl).toBe(resolution.actualProfit);
    const stored = venue.named("upsertPosition").at(-1)?.args[0] as { totalCost: number; noShares: number };
    expect(result.pnl).toBe(stored.noShares - stored.totalCost);
    expect(result.pnl).toBeGreaterThan(0);
  });

  it("leaves a position alone exactly at the threshold (hedge ratio 0.80), and rebalances just below it", async () => {
    // No fees, and exact fills: Up 21.75 shares, Down 17.40 (= 0.80 × 21.75) or 17.39 (0.7995…).
    const ratioAfter = async (downShares: number) => {
      const venue = new MockVenue((req, k) =>
        k <= 2 && req.intent.tokenId === MARKET.downTokenId ? { shares: u(downShares) } : 1,
      );
      venue.feeRate = 0;
      const i = await input();
      expect(i.opportunity?.upShares).toBe(u(21.75));
      await run(venue, async () => {
        const h = await start(i);
        await venue.waitFor("upsertTelemetry");
        const state = await h.query(positionStateQuery);
        expect(state.upShares).toBe(u(21.75));
        expect(state.downShares).toBe(u(downShares));
        // A book on which selling the excess Up is worth it, were the position imbalanced.
        await h.signal(marketBookSignal, SELL_BOOK(2));
        await env.sleep(MINUTE);
        await h.result();
      });
      return venue.named("recordRebalanceTrade").map((c) => (c.args[0] as { action: string }).action);
    };
    expect(await ratioAfter(17.4)).toEqual([]);
    expect(await ratioAfter(17.39)).toEqual(["SELL_YES"]);
  });

  it("sells the excess when selling is preferred, though buying the deficit locks in more", async () => {
    // After the 60% Down fill (Up 20.91, Down 12.55 net): selling 8.36 Up at 0.51 locks in about $0.75,
    // buying 8.8 Down at 0.35 about $1.93; both pass MIN_REBALANCE_PROFIT and leave a profit.
    const PREFER_BOOK = (seq: number) =>
      snapshot(seq, top([[0.51, 50]], [[0.52, 50]]), top([[0.33, 50]], [[0.35, 50]]));
    const rebalanced = async (preferSellOverBuy: boolean) => {
      const venue = new MockVenue(partialDown);
      const i = await input({ preferSellOverBuy });
      let after = 0;
      await run(venue, async () => {
        const h = await start(i);
        await venue.waitFor("upsertTelemetry");
        expect((await h.query(positionStateQuery)).phase).toBe("IMBALANCED");
        await h.signal(marketBookSignal, PREFER_BOOK(2));
        await venue.waitFor("recordRebalanceTrade");
        await venue.waitFor("upsertPosition", (a) => (a[0] as { status: string }).status === "BALANCED");
        after = (await h.query(positionStateQuery)).guaranteedPnl;
        await h.result();
      });
      const trades = venue
        .named("recordRebalanceTrade")
        .map((c) => c.args[0] as { action: string; status: string });
      return { trades, after };
    };
    const preferred = await rebalanced(true);
    const unpreferred = await rebalanced(false);
    expect(preferred.trades).toEqual([expect.objectContaining({ action: "SELL_YES", status: "SUCCESS" })]);
    expect(unpreferred.trades).toEqual([expect.objectContaining({ action: "BUY_NO", status: "SUCCESS" })]);
    // Without the preference the BUY is chosen because it locks in more: the preference decided.
    expect(unpreferred.after).toBeGreaterThan(preferred.after);
    expect(preferred.after).toBeGreaterThan(0);
  });

  it("does not rebalance for less than the minimum profit per share", async () => {
    const venue = new MockVenue(partialDown);
    const i = await input({ minRebalanceProfitPerShare: u(0.6) });
    await run(venue, async () => {
      const h = await start(i);
      await venue.waitFor("upsertTelemetry");
      await h.signal(marketBookSignal, SELL_BOOK(2));
      await env.sleep(MINUTE);
      expect((await h.query(positionStateQuery)).phase).toBe("IMBALANCED");
      await h.result();
    });
    expect(venue.named("recordRebalanceTrade")).toHaveLength(0);
  });

  it("gives up on a market that never resolves: UNRESOLVED at the deadline, with bounded history", async () => {
    const venue = new MockVenue();
    venue.winner = undefined;
    const i = await input({}, 2 * MINUTE);
    const result = await run(venue, async () => {
      const h = await start(i);
      const r = await within("the position to give up", h.result(), 60_000);
      const events = (await h.fetchHistory()).events?.length ?? 0;
      // An hour of polls that back off to 5 minutes: a few dozen reads, a few hundred events at most
      // (a 5-second poll would write about 130 events a minute). About 400 here, varying by a few with
      // how the server batches workflow tasks.
      expect(events).toBeLessThan(450);
      return r;
    });
    expect(result.phase).toBe("UNRESOLVED");
    const reads = venue.named("marketResolution");
    expect(reads.length).toBeGreaterThan(5);
    expect(reads.length).toBeLessThan(40);
    // Both sources are asked: Gamma by slug, the CLOB by condition id.
    expect(reads[0]?.args[0]).toEqual({ slug: MARKET.slug, conditionId: MARKET.conditionId });
    const last = venue.named("upsertPosition").at(-1)?.args[0] as { status: string };
    expect(last.status).toBe("UNRESOLVED");
    expect(venue.named("resolvePosition")).toHaveLength(0);
  });

  it("does not rebalance in the last 60 seconds", async () => {
    const venue = new MockVenue(partialDown);
    const i = await input();
    await run(venue, async () => {
      const h = await start(i);
      await venue.waitFor("upsertTelemetry");
      // Nothing worth doing until the last minute…
      await h.signal(marketBookSignal, NEUTRAL_BOOK(2));
      await env.sleep(14 * MINUTE + 10_000);
      // …and then it is too late.
      await h.signal(marketBookSignal, SELL_BOOK(3));
      await h.result();
    });
    expect(venue.named("recordRebalanceTrade")).toHaveLength(0);
  });

  it("tries a failed rebalance again, and stops after 5 rebalancing trades", async () => {
    // Every rebalancing order finds nothing to match.
    const venue = new MockVenue((req, k) => (k <= 2 ? partialDown(req, k) : 0));
    const i = await input();
    await run(venue, async () => {
      const h = await start(i);
      await venue.waitFor("upsertTelemetry");
      for (let seq = 2; seq < 10; seq++) {
        await h.signal(marketBookSignal, SELL_BOOK(seq));
        await env.sleep(10_000);
      }
      await h.result();
    });
    const attempts = venue.named("recordRebalanceTrade").map((c) => c.args[0] as { status: string });
    expect(attempts).toHaveLength(5);
    expect(attempts.every((a) => a.status === "FAILED")).toBe(true);
  });

  it("a failed rebalance followed by a filled one balances the position", async () => {
    const venue = new MockVenue((req, k) => (k <= 2 ? partialDown(req, k) : k === 3 ? 0 : 1));
    const i = await input();
    await run(venue, async () => {
      const h = await start(i);
      await venue.waitFor("upsertTelemetry");
      await h.signal(marketBookSignal, SELL_BOOK(2));
      await venue.waitForCount("recordRebalanceTrade", 1);
      await h.signal(marketBookSignal, SELL_BOOK(3));
      await venue.waitForCount("recordRebalanceTrade", 2);
      await venue.waitFor("upsertPosition", (a) => (a[0] as { status: string }).status === "BALANCED");
      await h.result();
    });
    expect(venue.named("recordRebalanceTrade").map((c) => (c.args[0] as { status: string }).status)).toEqual([
      "FAILED",
      "SUCCESS",
    ]);
  });

  it("takes a partial rebalance when the depth is short, only if allowed", async () => {
    const shallow = (seq: number) =>
      snapshot(seq, top([[0.55, 2]], [[0.56, 50]]), top([[0.4, 50]], [[0.6, 50]]));
    // Depth of 2 shares at a good price is below the 5-share minimum: raise it to 5 of a 10-share gap.
    const deeper = (seq: number) =>
      snapshot(seq, top([[0.55, 5]], [[0.56, 50]]), top([[0.4, 50]], [[0.6, 50]]));
    const gap = (req: { intent: { tokenId: string } }, k: number) =>
      k <= 2 && req.intent.tokenId === MARKET.downTokenId ? 0 : 1;
    for (const allowPartialRebalance of [true, false]) {
      const venue = new MockVenue(gap);
      const i = await input({ allowPartialRebalance });
      await run(venue, async () => {
        const h = await start(i);
        await venue.waitFor("upsertTelemetry");
        await h.signal(marketBookSignal, shallow(2));
        await h.signal(marketBookSignal, deeper(3));
        await env.sleep(MINUTE);
        await h.result();
      });
      const trades = venue.named("recordRebalanceTrade").map((c) => c.args[0] as { shares: number });
      if (allowPartialRebalance) expect(trades.length).toBeGreaterThan(0);
      else expect(trades).toHaveLength(0);
    }
  });

  it("halts rebalancing on halt, and resumes on resume", async () => {
    const venue = new MockVenue(partialDown);
    const i = await input();
    await run(venue, async () => {
      const h = await start(i);
      await venue.waitFor("upsertTelemetry");
      await h.signal(haltSignal, { reason: "test" });
      await h.signal(marketBookSignal, SELL_BOOK(2));
      await env.sleep(MINUTE);
      expect(venue.named("recordRebalanceTrade")).toHaveLength(0);
      expect((await h.query(positionStateQuery)).halted).toBe(true);
      await h.signal(resumeSignal);
      await h.signal(marketBookSignal, SELL_BOOK(3));
      await venue.waitFor("recordRebalanceTrade");
      await h.result();
    });
  });

  it("evaluates at once on the rebalance-now signal, with the last book it has", async () => {
    const venue = new MockVenue(partialDown);
    // Only the periodic check would see the book otherwise: make that check very slow.
    const i = await input({ rebalanceCheckIntervalMs: 10 * MINUTE });
    await run(venue, async () => {
      const h = await start(i);
      await venue.waitFor("upsertTelemetry");
      await h.signal(haltSignal, {});
      await h.signal(marketBookSignal, SELL_BOOK(2));
      // The query is answered once both signals are applied: the book has been looked at, while halted.
      expect((await h.query(positionStateQuery)).halted).toBe(true);
      await h.signal(resumeSignal);
      const askedAt = await env.currentTimeMs();
      await h.signal(rebalanceNowSignal);
      // Time does not move while the test waits here: only the signal can make the rebalance happen.
      const call = await within("the rebalance the signal asked for", venue.waitFor("recordRebalanceTrade"));
      const trade = call.args[0] as { action: string; attemptedAtMs: number };
      expect(trade.action).toBe("SELL_YES");
      expect(trade.attemptedAtMs - askedAt).toBeLessThan(10_000);
      await h.result();
    });
  });
});

/** Rejects after `ms` of real time, naming what was awaited: a missing behaviour fails, never hangs. */
async function within<T>(what: string, promise: Promise<T>, ms = 20_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Shares a taker BUY of `size` gross shares at `price` holds: size − size × 0.07 × (1 − price), the fee in
 * shares rounded down to 5 decimals (the venue's published fee formula, computed here on its own). */
function netOfBuyFee(size: number, price: number): number {
  // In micros: size × 0.07 × (1 − price), exactly with integers, then down to a multiple of 10 micros.
  const priceMicros = BigInt(Math.round(price * 1e6));
  const exact = (BigInt(size) * 7n * (1_000_000n - priceMicros)) / 100_000_000n;
  return size - Number((exact / 10n) * 10n);
}

describe("orders whose outcome is not a plain answer", () => {
  it("an order activity that fails for good is an outcome: the first leg is kept, read back, and resolved", async () => {
    const venue = new MockVenue();
    // The Down leg's placement fails for good; reading it back by its hash finds nothing.
    venue.setScript((req, k) =>
      k <= 2 && req.intent.tokenId === MARKET.downTokenId ? { kind: "fail" } : undefined,
    );
    venue.winner = "UP";
    const i = await input();
    const result = await run(venue, async () => (await start(i)).result());
    expect(result.phase).toBe("RESOLVED");
    const up = venue.sentFor(MARKET.upTokenId);
    expect(result.upShares).toBe(netOfBuyFee(up.intent.size, up.intent.price / 1e6));
    expect(result.downShares).toBe(0);
    // The failed order was read back by the intent it signed (same salt), not forgotten.
    const failed = venue.named("placeOrderFailed")[0]!.args[0] as { intent: { salt: number } };
    const reads = venue.named("readOrder").map((c) => c.args[0] as { intent?: { salt: number } });
    expect(reads.some((r) => r.intent?.salt === failed.intent.salt)).toBe(true);
    expect(venue.named("resolvePosition")).toHaveLength(1);
  });

  it("an order that failed for good but landed at the venue is found by its hash, with its fills", async () => {
    const venue = new MockVenue();
    venue.setScript((req, k) =>
      k <= 2 && req.intent.tokenId === MARKET.downTokenId ? { kind: "fail", landed: 1 } : undefined,
    );
    const i = await input();
    const result = await run(venue, async () => (await start(i)).result());
    const [up, down] = [venue.sentFor(MARKET.upTokenId), venue.sentFor(MARKET.downTokenId)];
    expect(result.upShares).toBe(netOfBuyFee(up.intent.size, up.intent.price / 1e6));
    expect(result.downShares).toBe(netOfBuyFee(down.intent.size, down.intent.price / 1e6));
    // The order row is written once its id is known from the read-back.
    const rows = venue.named("upsertOrder").map((c) => c.args[0] as { id: string; status: string });
    const downId = venue.orderId(venue.numberFor(MARKET.downTokenId));
    expect(rows.some((r) => r.id === downId && r.status === "MATCHED")).toBe(true);
  });

  it("keeps a market's current tick for every order (0.001 once the price leaves [0.04, 0.96])", async () => {
    const venue = new MockVenue(partialDown);
    const i = await input();
    await run(venue, async () => {
      const h = await start(i);
      await venue.waitFor("upsertTelemetry");
      // Up ran to 0.965: the venue's tick is now 0.001, and selling the excess Up there is worth it.
      await h.signal(marketBookSignal, {
        ...snapshot(2, top([[0.965, 50]], [[0.967, 50]]), top([[0.033, 50]], [[0.035, 50]])),
        tickSize: 1_000,
      });
      await venue.waitFor("recordRebalanceTrade");
      await h.result();
    });
    const sell = venue.placed()[2]!;
    expect(sell.intent).toMatchObject({
      side: "SELL",
      tokenId: MARKET.upTokenId,
      price: 965_000,
      tickSize: 1_000,
    });
  });

  it("waits for delayed entry legs instead of abandoning the position", async () => {
    const venue = new MockVenue();
    venue.setScript(() => ({ kind: "delayed", fraction: 1 }));
    const i = await input();
    await run(venue, async () => {
      const h = await start(i);
      await within("a read-back of the delayed legs", venue.waitFor("readOrder"));
      const waiting = await h.query(positionStateQuery);
      expect(waiting).toMatchObject({ phase: "EXECUTING", openOrders: 2 });
      venue.release(venue.numberFor(MARKET.upTokenId));
      venue.release(venue.numberFor(MARKET.downTokenId));
      await within(
        "the position to settle its legs",
        venue.waitFor("upsertPosition", (a) => (a[0] as { status: string }).status === "BALANCED"),
      );
      const settled = await h.query(positionStateQuery);
      const [up, down] = [venue.sentFor(MARKET.upTokenId), venue.sentFor(MARKET.downTokenId)];
      expect(settled.upShares).toBe(netOfBuyFee(up.intent.size, up.intent.price / 1e6));
      expect(settled.downShares).toBe(netOfBuyFee(down.intent.size, down.intent.price / 1e6));
      expect(settled.openOrders).toBe(0);
      await h.result();
    });
  });

  it("keeps the position's and the orders' rows in step with fills that come later", async () => {
    // The Up leg is delayed at the venue; the user channel tells its fill before any read-back does.
    const venue = new MockVenue();
    venue.setScript((req) =>
      req.intent.tokenId === MARKET.upTokenId
        ? { kind: "delayed", fraction: 1, fillsOnReadBack: false }
        : undefined,
    );
    const i = await input();
    await run(venue, async () => {
      const h = await start(i);
      await within("a read-back of the delayed leg", venue.waitFor("readOrder"));
      const upN = venue.numberFor(MARKET.upTokenId);
      const downN = venue.numberFor(MARKET.downTokenId);
      const [upFill] = venue.fillsOf(upN);
      if (!upFill) throw new Error("the delayed leg should have a fill");
      await h.signal(fillsSignal, [upFill]);
      const upRow = (a: unknown[]) => (a[0] as { id: string }).id === venue.orderId(upN);
      const followed = await within(
        "the delayed order's row to show its fill",
        venue.waitFor("upsertOrder", (a) => upRow(a) && (a[0] as { sizeMatched: number }).sizeMatched > 0),
      );
      expect(followed.args[0]).toMatchObject({ status: "DELAYED", sizeMatched: upFill.size });
      venue.release(upN);
      await within(
        "the position to settle its legs",
        venue.waitFor("upsertPosition", (a) => (a[0] as { status: string }).status === "BALANCED"),
      );
      // Then the venue reverses the Down leg's trade: FAILED at MINED.
      const [downFill] = venue.fillsOf(downN);
      if (!downFill) throw new Error("the Down leg should have a fill");
      await h.signal(fillsSignal, [{ ...downFill, status: "FAILED" }]);
      const row = await within(
        "the position's row to drop the reversed shares",
        venue.waitFor("upsertPosition", (a) => (a[0] as { noShares: number }).noShares === 0),
      );
      const up = venue.sentFor(MARKET.upTokenId);
      // Only the Up shares are held now, and nothing hedges them.
      expect(row.args[0]).toMatchObject({
        status: "IMBALANCED",
        yesShares: netOfBuyFee(up.intent.size, up.intent.price / 1e6),
        noShares: 0,
      });
      await h.result();
    });
  });

  it("records a delayed rebalancing order once its outcome is final, and sends no other meanwhile", async () => {
    const venue = new MockVenue(partialDown);
    venue.setScript((_req, k) => (k === 3 ? { kind: "delayed", fraction: 1 } : undefined));
    const i = await input();
    await run(venue, async () => {
      const h = await start(i);
      await venue.waitFor("upsertTelemetry");
      await h.signal(marketBookSignal, SELL_BOOK(2));
      await within("the rebalancing order", venue.waitForCount("placeOrder", 3));
      // More books that would call for the same SELL arrive while it is delayed.
      await h.signal(marketBookSignal, SELL_BOOK(3));
      await env.sleep(3_000);
      await h.signal(marketBookSignal, SELL_BOOK(4));
      await within("a read-back of the delayed order", venue.waitFor("readOrder"));
      expect(venue.named("placeOrderStarted")).toHaveLength(3);
      expect(venue.named("recordRebalanceTrade")).toHaveLength(0);
      venue.release(3);
      await within("the rebalance record", venue.waitFor("recordRebalanceTrade"));
      await h.result();
    });
    expect(venue.named("placeOrderStarted")).toHaveLength(3);
    const records = venue.named("recordRebalanceTrade").map((c) => c.args[0] as { status: string });
    expect(records).toEqual([expect.objectContaining({ action: "SELL_YES", status: "SUCCESS" })]);
  });

  it("keeps a fill that arrives before its order's placement returns", async () => {
    const venue = new MockVenue();
    // The Down leg is answered "delayed" only after its fill came on the user channel, and REST lags:
    // the read-back shows no fill. Only the early fill tells the position about its Down shares.
    venue.setScript((req, k) =>
      k <= 2 && req.intent.tokenId === MARKET.downTokenId
        ? { kind: "delayed", fraction: 1, hold: true, fillsOnReadBack: false }
        : undefined,
    );
    const i = await input();
    await run(venue, async () => {
      const h = await start(i);
      await within("the Down leg in flight", venue.waitForCount("placeOrderStarted", 2));
      const downN = venue.numberFor(MARKET.downTokenId);
      const early: OurFill[] = venue.fillsOf(downN);
      expect(early).toHaveLength(1);
      await h.signal(fillsSignal, early);
      await within(
        "the early fill to be held",
        (async () => {
          while ((await h.query(positionStateQuery)).bufferedFills !== 1) await env.sleep(50);
        })(),
      );
      venue.release(downN);
      await within(
        "the position to be balanced",
        venue.waitFor("upsertPosition", (a) => (a[0] as { status: string }).status === "BALANCED"),
      );
      const state = await h.query(positionStateQuery);
      const down = venue.sentFor(MARKET.downTokenId);
      expect(state.downShares).toBe(netOfBuyFee(down.intent.size, down.intent.price / 1e6));
      expect(state.bufferedFills).toBe(0);
      await h.result();
    });
  });

  it("does not count a SELL the venue refused for balance as a rebalancing attempt", async () => {
    const venue = new MockVenue(partialDown);
    venue.setScript((_req, k) =>
      k === 3
        ? { kind: "reject", rejectionKind: "insufficient-balance", message: "not enough balance / allowance" }
        : undefined,
    );
    const i = await input();
    const result = await run(venue, async () => {
      const h = await start(i);
      await venue.waitFor("upsertTelemetry");
      await h.signal(marketBookSignal, SELL_BOOK(2));
      await within("the refused SELL", venue.waitForCount("placeOrder", 3));
      // The next periodic check tries again, and this time the shares are sellable.
      await within("the SELL again", venue.waitFor("recordRebalanceTrade"));
      return h.result();
    });
    const records = venue.named("recordRebalanceTrade").map((c) => c.args[0] as { status: string });
    expect(records).toEqual([expect.objectContaining({ action: "SELL_YES", status: "SUCCESS" })]);
    expect(result.rebalanceTrades).toBe(1);
  });

  // Last in the file: the session's ABANDON children outlive it on the test server.
  it("after a position's order failed for good, its session still opens later positions", async () => {
    const venue = new MockVenue();
    venue.setScript((req, k) =>
      k <= 2 && req.intent.tokenId === MARKET.downTokenId ? { kind: "fail" } : undefined,
    );
    const queue = `sessions-${++n}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: queue,
      workflowBundle: { codePath: bundle },
      activities: { ...venue.activities(), streamMarket: async () => ({ endReason: "ended" }) },
    });
    await worker.runUntil(async () => {
      const now = await env.currentTimeMs();
      const params = { ...PARAMS, historyEventLimit: 8_000, streamingTaskQueue: queue };
      const sessionId = `session-failing-order-${n}`;
      started.push(sessionId);
      const h = await env.client.workflow.start(marketSession, {
        taskQueue: queue,
        workflowId: sessionId,
        args: [{ market: { ...MARKET, startMs: now, endMs: now + 10 * MINUTE }, params }],
      });
      await h.signal(marketBookSignal, { ...OPENING, seq: 1 });
      await within("the first position's entry", venue.waitFor("upsertTelemetry"));
      await h.signal(marketBookSignal, { ...OPENING, seq: 2 });
      await within("a second position's orders", venue.waitForCount("placeOrderStarted", 4));
      expect((await h.query(sessionStateQuery)).positionsStarted).toBe(2);
      // Its positions are ABANDON children: end them too, so that none holds the test server's clock.
      started.push(
        workflowIds.position(MARKET.slug, 1),
        workflowIds.position(MARKET.slug, 2),
        workflowIds.feed(MARKET.slug),
      );
    });
  });
});
