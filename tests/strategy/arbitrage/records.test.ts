/**
 * What a position writes to the seed's tables (src/strategy/arbitrage/records.ts). Expected values are worked
 * out by hand below, at fee rate 0.07 and exponent 1 (fee = shares × 0.07 × p × (1 − p)).
 */
import type { MarketRef } from "../../../src/session/market";
import type { OurFill } from "../../../src/session/messages";
import { applyFill, emptyLedger, type PositionLedger } from "../../../src/strategy/arbitrage";
import {
  balanceTimings,
  entryTelemetry,
  filledShares,
  fillFee,
  fillRecord,
  matchedShares,
  orderRecord,
  positionRecord,
  positionRowStatus,
  rebalanceProgress,
  rebalanceStatus,
  rebalanceTradeRecord,
  resolutionRecord,
  telemetryRecord,
} from "../../../src/strategy/arbitrage/records";

const market: MarketRef = {
  slug: "btc-updown-15m-1764789300",
  asset: "BTC",
  conditionId: "0xcond",
  upTokenId: "111",
  downTokenId: "222",
  startMs: 1_764_789_300_000,
  endMs: 1_764_790_200_000,
  tickSize: 10_000,
  minOrderSize: 5_000_000,
  feeRate: 70_000,
  feeExponent: 1,
};
const rules = { feeExponent: 1 };

function fill(over: Partial<OurFill>): OurFill {
  return {
    tradeId: "t1",
    orderId: "o1",
    tokenId: "111",
    side: "BUY",
    role: "TAKER",
    price: 500_000,
    size: 10_000_000,
    feeRate: 70_000,
    status: "MATCHED",
    atMs: 1_764_789_400_000,
    ...over,
  };
}

/** Up: a taker BUY of 10 @ 0.50 (fee 0.175 pUSD = 0.35 shares withheld: 9.65 held, cost 5.00).
 *  Down: a maker BUY of 8 @ 0.40 (no fee: 8 held, cost 3.20). A FAILED Down trade of 2 that never applied. */
function ledger(): PositionLedger {
  let l = emptyLedger();
  l = applyFill(l, fill({}), "UP", rules);
  l = applyFill(
    l,
    fill({ tradeId: "t2", orderId: "o2", tokenId: "222", role: "MAKER", price: 400_000, size: 8_000_000 }),
    "DOWN",
    rules,
  );
  l = applyFill(
    l,
    fill({ tradeId: "t3", orderId: "o2", tokenId: "222", price: 400_000, size: 2_000_000, status: "FAILED" }),
    "DOWN",
    rules,
  );
  return l;
}

describe("the trades row", () => {
  it("maps the phase to the row's status", () => {
    expect(positionRowStatus("EXECUTING", true)).toBe("OPEN");
    expect(positionRowStatus("BALANCED", false)).toBe("BALANCED");
    expect(positionRowStatus("ABANDONED", true)).toBe("ABANDONED");
    expect(positionRowStatus("UNRESOLVED", true)).toBe("UNRESOLVED");
    expect(positionRowStatus("IMBALANCED", true)).toBe("BALANCED");
    expect(positionRowStatus("IMBALANCED", false)).toBe("IMBALANCED");
    expect(positionRowStatus("RESOLVING", false)).toBe("IMBALANCED");
  });

  it("says how far the rebalancing got", () => {
    expect(rebalanceProgress({})).toBe("not_needed");
    expect(rebalanceProgress({ rebalanceStartedAtMs: 5 })).toBe("pending");
    expect(rebalanceProgress({ rebalanceStartedAtMs: 5, positionBalancedAtMs: 9 })).toBe("completed");
  });

  it("writes shares, average entries, cost and fees from the ledger", () => {
    const row = positionRecord({
      positionId: "position-x-1",
      market,
      phase: "BALANCED",
      balanced: true,
      spread: 30_000,
      ledger: ledger(),
      telemetry: {},
    });
    expect(row).toEqual({
      id: "position-x-1",
      marketSlug: "btc-updown-15m-1764789300",
      conditionId: "0xcond",
      asset: "BTC",
      yesTokenId: "111",
      noTokenId: "222",
      marketEndAtMs: 1_764_790_200_000,
      status: "BALANCED",
      spread: 30_000,
      // 5.00 / 9.65 = 0.5181347… rounded up to a micro; 3.20 / 8 = 0.40.
      yesPrice: 518_135,
      noPrice: 400_000,
      yesShares: 9_650_000,
      noShares: 8_000_000,
      totalCost: 8_200_000,
      feesPaid: 175_000,
      rebalanceStatus: "not_needed",
    });
  });

  it("shows the latest rebalance, and null entries for a leg never bought", () => {
    const row = positionRecord({
      positionId: "p",
      market,
      phase: "IMBALANCED",
      balanced: false,
      spread: 30_000,
      ledger: applyFill(emptyLedger(), fill({}), "UP", rules),
      telemetry: { rebalanceStartedAtMs: 100 },
      lastRebalance: { action: "BUY_NO", filled: 5_000_000, price: 450_000, profit: 12_000, atMs: 99 },
    });
    expect(row.status).toBe("IMBALANCED");
    expect(row.yesPrice).toBe(518_135);
    expect(row.noPrice).toBeNull();
    expect(row.rebalanceStatus).toBe("pending");
    expect(row).toMatchObject({
      rebalanceAction: "BUY_NO",
      rebalanceShares: 5_000_000,
      rebalancePrice: 450_000,
      rebalanceProfit: 12_000,
      rebalancedAtMs: 99,
    });
  });
});

describe("the telemetry", () => {
  const opportunity = { spread: 30_000, upBestAsk: 480_000, downBestAsk: 490_000 };

  it("derives the latencies once both ends are known", () => {
    expect(
      telemetryRecord({
        positionId: "p",
        detectedAtMs: 1_000,
        opportunity,
        telemetry: {
          orderPlacedAtMs: 1_040,
          orderFilledAtMs: 1_100,
          initialUp: 9_650_000,
          initialDown: 8_000_000,
          initialCost: 8_200_000,
          initialHedge: 829_016,
          rebalanceStartedAtMs: 2_000,
        },
        rebalanceAttempts: 2,
      }),
    ).toEqual({
      positionId: "p",
      opportunityDetectedAtMs: 1_000,
      opportunitySpread: 30_000,
      opportunityYesPrice: 480_000,
      opportunityNoPrice: 490_000,
      orderPlacedAtMs: 1_040,
      orderFilledAtMs: 1_100,
      executionLatencyMs: 40,
      fillLatencyMs: 60,
      initialYesShares: 9_650_000,
      initialHedgeRatio: 829_016,
      initialNoShares: 8_000_000,
      initialCost: 8_200_000,
      rebalanceStartedAtMs: 2_000,
      rebalanceAttempts: 2,
      positionBalancedAtMs: undefined,
    });
    const none = telemetryRecord({
      positionId: "p",
      detectedAtMs: 1_000,
      opportunity,
      telemetry: {},
      rebalanceAttempts: 0,
    });
    expect(none.executionLatencyMs).toBeNull();
    expect(none.fillLatencyMs).toBeNull();
    const placedOnly = telemetryRecord({
      positionId: "p",
      detectedAtMs: 1_000,
      opportunity,
      telemetry: { orderPlacedAtMs: 1_010 },
      rebalanceAttempts: 0,
    });
    expect(placedOnly.executionLatencyMs).toBe(10);
    expect(placedOnly.fillLatencyMs).toBeNull();
  });

  it("fixes the entry: first leg sent, last filled leg answered, the initial position", () => {
    const t = entryTelemetry(
      [
        { sentAtMs: 1_030, answeredAtMs: 1_090, filled: true },
        { sentAtMs: 1_020, answeredAtMs: 1_120, filled: true },
      ],
      ledger(),
      5_000,
    );
    // Hedge 8 / 9.65 = 0.8290155… → 829_016 micros.
    expect(t).toEqual({
      orderPlacedAtMs: 1_020,
      orderFilledAtMs: 1_120,
      initialUp: 9_650_000,
      initialDown: 8_000_000,
      initialCost: 8_200_000,
      initialHedge: 829_016,
    });
    // A leg with fills but no answer time counts as answered now; a leg without fills does not count.
    expect(
      entryTelemetry(
        [
          { sentAtMs: 1_030, filled: true },
          { sentAtMs: 1_020, answeredAtMs: 9_999, filled: false },
        ],
        emptyLedger(),
        5_000,
      ),
    ).toEqual({
      orderPlacedAtMs: 1_020,
      orderFilledAtMs: 5_000,
      initialUp: 0,
      initialDown: 0,
      initialCost: 0,
      initialHedge: 0,
    });
    // Nothing sent (refused locally), nothing filled: no times at all.
    const unsent = entryTelemetry([{ filled: false }, { filled: false }], emptyLedger(), 5_000);
    expect("orderPlacedAtMs" in unsent).toBe(false);
    expect("orderFilledAtMs" in unsent).toBe(false);
  });

  it("times the rebalancing: first imbalance, then first balance after it", () => {
    const started = balanceTimings({}, false, 100);
    expect(started).toEqual({ rebalanceStartedAtMs: 100 });
    expect(balanceTimings(started, false, 200)).toEqual({ rebalanceStartedAtMs: 100 });
    const done = balanceTimings(started, true, 300);
    expect(done).toEqual({ rebalanceStartedAtMs: 100, positionBalancedAtMs: 300 });
    expect(balanceTimings(done, false, 400)).toEqual(done);
    expect(balanceTimings(done, true, 500)).toEqual(done);
    // Balanced from the start: nothing to time.
    expect(balanceTimings({}, true, 100)).toEqual({});
  });
});

describe("orders and fills", () => {
  it("stores a fill's fee: shares on a taker BUY, pUSD on a taker SELL, none for a maker", () => {
    // 10 × 0.07 × 0.5 × 0.5 = 0.175 pUSD, / 0.50 = 0.35 shares.
    expect(fillFee(fill({}), rules)).toBe(350_000);
    // 4 × 0.07 × 0.6 × 0.4 = 0.0672 pUSD.
    expect(fillFee(fill({ side: "SELL", price: 600_000, size: 4_000_000 }), rules)).toBe(67_200);
    expect(fillFee(fill({ role: "MAKER" }), rules)).toBe(0);
    expect(fillRecord(fill({ status: "MINED" }), "0xcond", rules)).toEqual({
      tradeId: "t1",
      orderId: "o1",
      market: "0xcond",
      tokenId: "111",
      side: "BUY",
      role: "TAKER",
      price: 500_000,
      size: 10_000_000,
      fee: 350_000,
      status: "MINED",
      matchedAtMs: 1_764_789_400_000,
    });
  });

  it("writes an order row from its intent and what is known of it", () => {
    expect(
      orderRecord({
        orderId: "0xhash",
        request: {
          market: "0xcond",
          orderType: "FAK",
          intent: { tokenId: "111", side: "BUY", price: 450_000, size: 27_180_000 },
        },
        status: "MATCHED",
        sizeMatched: 27_180_000,
        workflowId: "position-x-1",
        positionId: "position-x-1",
        error: null,
        updatedAtMs: 42,
      }),
    ).toEqual({
      id: "0xhash",
      market: "0xcond",
      tokenId: "111",
      side: "BUY",
      price: 450_000,
      size: 27_180_000,
      orderType: "FAK",
      postOnly: false,
      status: "MATCHED",
      sizeMatched: 27_180_000,
      workflowId: "position-x-1",
      positionId: "position-x-1",
      error: null,
      updatedAtMs: 42,
    });
  });

  it("counts an order's shares: filled without FAILED trades, matched with them", () => {
    const l = ledger();
    expect(filledShares(l, ["t2:o2", "t3:o2"])).toBe(8_000_000);
    expect(matchedShares(l, ["t2:o2", "t3:o2"])).toBe(10_000_000);
    expect(filledShares(l, ["missing:o9"])).toBe(0);
    expect(matchedShares(l, ["missing:o9"])).toBe(0);
  });
});

describe("rebalancing and resolution", () => {
  it("grades a rebalancing order by what it filled", () => {
    expect(rebalanceStatus(0, 8_000_000)).toBe("FAILED");
    // Short by at least one lot (0.01 share): partial; within it: success.
    expect(rebalanceStatus(7_990_000, 8_000_000)).toBe("PARTIAL");
    expect(rebalanceStatus(7_995_000, 8_000_000)).toBe("SUCCESS");
    expect(rebalanceStatus(8_000_000, 8_000_000)).toBe("SUCCESS");
  });

  it("writes a rebalance_trades row", () => {
    expect(
      rebalanceTradeRecord({
        positionId: "p",
        attemptedAtMs: 77,
        option: { action: "SELL_YES", shares: 5_000_000, limitPrice: 520_000 },
        status: "PARTIAL",
        filled: 3_000_000,
        profit: 4_000,
        orderId: undefined,
      }),
    ).toEqual({
      positionId: "p",
      attemptedAtMs: 77,
      action: "SELL_YES",
      shares: 5_000_000,
      price: 520_000,
      status: "PARTIAL",
      filledShares: 3_000_000,
      profit: 4_000,
      orderId: null,
    });
  });

  it("writes the resolution, Up as YES", () => {
    const resolution = {
      payout: 9_650_000,
      pnl: 1_450_000,
      finalUpShares: 9_650_000,
      finalDownShares: 8_000_000,
    };
    expect(resolutionRecord("p", 123, "UP", resolution)).toEqual({
      positionId: "p",
      resolvedAtMs: 123,
      winningOutcome: "YES",
      payout: 9_650_000,
      actualProfit: 1_450_000,
      finalYesShares: 9_650_000,
      finalNoShares: 8_000_000,
    });
    expect(resolutionRecord("p", 123, "DOWN", resolution).winningOutcome).toBe("NO");
  });
});
