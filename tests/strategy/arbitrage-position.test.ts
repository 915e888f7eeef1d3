import { buyFeeInShares, proceedsAfterSell, takerFee } from "../../src/fees";
import { parseMicros } from "../../src/money";
import { isTerminalTradeStatus, TRADE_STATUSES, tradeStatusReplaces } from "../../src/protocol/trade-status";
import type { OurFill, TradeStatus } from "../../src/session/messages";
import {
  applyFill,
  averageEntry,
  emptyLedger,
  guaranteedPnl,
  hedgeRatio,
  latencyMs,
  needsRebalancing,
  netCost,
  pnlIfWins,
  resolvePosition,
  sellableShares,
} from "../../src/strategy/arbitrage";
import { STATUS_REPLACES } from "./trade-status-cases";

const m = parseMicros;
const RATE = m("0.07");
const RULES = { feeExponent: 1 };

function fill(
  id: string,
  side: "BUY" | "SELL",
  price: string,
  size: string,
  over: Partial<OurFill> = {},
): OurFill {
  return {
    tradeId: `t${id}`,
    orderId: `o${id}`,
    tokenId: "tok",
    side,
    role: "TAKER",
    price: m(price),
    size: m(size),
    feeRate: RATE,
    status: "MATCHED",
    atMs: 1,
    ...over,
  };
}

describe("applyFill", () => {
  it("a taker BUY holds its size less the fee in shares and pays price × size", () => {
    const l = applyFill(emptyLedger(), fill("1", "BUY", "0.48", "10"), "UP", RULES);
    // fee value 10 × 0.07 × 0.48 × 0.52 = 0.17472 pUSD = 0.364 shares at 0.48
    expect(buyFeeInShares(m("10"), m("0.48"), RATE)).toBe(m("0.364"));
    expect(l.up).toEqual({
      netShares: m("9.636"),
      boughtShares: m("10"),
      soldShares: 0,
      cost: m("4.8"),
      proceeds: 0,
      fees: m("0.17472"),
      feeShares: m("0.364"),
    });
    expect(l.down.netShares).toBe(0);
  });

  it("a maker BUY pays no fee", () => {
    const l = applyFill(emptyLedger(), fill("1", "BUY", "0.48", "10", { role: "MAKER" }), "DOWN", RULES);
    expect(l.down.netShares).toBe(m("10"));
    expect(l.down.fees).toBe(0);
    expect(l.down.cost).toBe(m("4.8"));
  });

  it("a SELL gives up shares for proceeds net of the taker fee (a maker's notional)", () => {
    let l = applyFill(emptyLedger(), fill("1", "BUY", "0.48", "10", { role: "MAKER" }), "UP", RULES);
    l = applyFill(l, fill("2", "SELL", "0.65", "4"), "UP", RULES);
    expect(l.up.netShares).toBe(m("6"));
    expect(l.up.soldShares).toBe(m("4"));
    expect(l.up.proceeds).toBe(proceedsAfterSell(m("4"), m("0.65"), RATE));
    expect(l.up.proceeds).toBe(m("2.6") - m("0.0637"));
    expect(l.up.fees).toBe(takerFee(m("4"), m("0.65"), RATE));
    l = applyFill(l, fill("3", "SELL", "0.65", "1", { role: "MAKER" }), "UP", RULES);
    expect(l.up.proceeds).toBe(m("2.5363") + m("0.65"));
  });

  it("is idempotent: the same (tradeId, orderId) twice changes nothing", () => {
    const once = applyFill(emptyLedger(), fill("1", "BUY", "0.48", "10"), "UP", RULES);
    const twice = applyFill(once, fill("1", "BUY", "0.48", "10"), "UP", RULES);
    expect(twice).toBe(once);
    // A different order of the same trade is a different fill (we can be on both sides of a match).
    const other = applyFill(
      once,
      fill("1", "BUY", "0.48", "10", { orderId: "o9", role: "MAKER" }),
      "UP",
      RULES,
    );
    expect(other.up.netShares).toBe(m("19.636"));
  });

  it("MATCHED → MINED → CONFIRMED only updates the status; a status never moves back", () => {
    const statuses: TradeStatus[] = ["MATCHED", "MINED", "CONFIRMED", "MINED", "MATCHED"];
    let l = emptyLedger();
    const legs = [];
    for (const status of statuses) {
      l = applyFill(l, fill("1", "BUY", "0.48", "10", { status }), "UP", RULES);
      legs.push(l.up);
    }
    expect(new Set(legs.map((x) => JSON.stringify(x))).size).toBe(1);
    expect(l.fills["t1:o1"]!.status).toBe("CONFIRMED");
  });

  it("FAILED reverses an applied fill exactly, and a fill first seen FAILED never applies", () => {
    let l = applyFill(emptyLedger(), fill("1", "BUY", "0.48", "10"), "UP", RULES);
    l = applyFill(l, fill("2", "BUY", "0.49", "6"), "DOWN", RULES);
    const before = l;
    l = applyFill(l, fill("3", "BUY", "0.46", "4"), "DOWN", RULES);
    l = applyFill(l, fill("3", "BUY", "0.46", "4", { status: "RETRYING" }), "DOWN", RULES);
    l = applyFill(l, fill("3", "BUY", "0.46", "4", { status: "FAILED" }), "DOWN", RULES);
    expect(l.up).toEqual(before.up);
    expect(l.down).toEqual(before.down);
    expect(l.fills["t3:o3"]!.status).toBe("FAILED");
    // Late news of the same trade does not resurrect it.
    const late = applyFill(l, fill("3", "BUY", "0.46", "4", { status: "CONFIRMED" }), "DOWN", RULES);
    expect(late).toBe(l);

    const failedFirst = applyFill(before, fill("4", "SELL", "0.6", "3", { status: "FAILED" }), "UP", RULES);
    expect(failedFirst.up).toEqual(before.up);
    const thenMatched = applyFill(failedFirst, fill("4", "SELL", "0.6", "3"), "UP", RULES);
    expect(thenMatched.up).toEqual(before.up);
  });

  it("a CONFIRMED fill is final: a later FAILED does not reverse it", () => {
    const confirmed = applyFill(
      emptyLedger(),
      fill("1", "BUY", "0.48", "10", { status: "CONFIRMED" }),
      "UP",
      RULES,
    );
    const late = applyFill(confirmed, fill("1", "BUY", "0.48", "10", { status: "FAILED" }), "UP", RULES);
    expect(late).toBe(confirmed);
    expect(late.up.netShares).toBe(m("9.636"));
  });

  it.each(STATUS_REPLACES)("a fill recorded %s, then seen %s: replaced = %s", (current, next, replaces) => {
    const first = applyFill(emptyLedger(), fill("1", "BUY", "0.48", "10", { status: current }), "UP", RULES);
    const then = applyFill(first, fill("1", "BUY", "0.48", "10", { status: next }), "UP", RULES);
    const status = replaces ? next : current;
    expect(then.fills["t1:o1"]!.status).toBe(status);
    // The leg holds the fill unless its status is FAILED: 10 − 0.364 shares withheld.
    expect(then.up.netShares).toBe(status === "FAILED" ? 0 : m("9.636"));
    if (!replaces) expect(then).toBe(first);
  });

  it("does not modify its input", () => {
    const l0 = emptyLedger();
    const snapshot = JSON.stringify(l0);
    applyFill(l0, fill("1", "BUY", "0.48", "10"), "UP", RULES);
    expect(JSON.stringify(l0)).toBe(snapshot);
  });
});

describe("the trade-status rule (src/protocol/trade-status.ts)", () => {
  it.each(STATUS_REPLACES)("%s then %s: replaced = %s", (current, next, replaces) => {
    expect(tradeStatusReplaces(next, current)).toBe(replaces);
  });

  it("covers every pair of statuses; CONFIRMED and FAILED are the terminal ones", () => {
    expect(STATUS_REPLACES).toHaveLength(TRADE_STATUSES.length ** 2);
    expect(TRADE_STATUSES.filter(isTerminalTradeStatus)).toEqual(["CONFIRMED", "FAILED"]);
  });
});

describe("sellableShares: only what the venue has released (MINED), less what is sold", () => {
  it("counts BUY fills once MINED or CONFIRMED, net of the fee in shares", () => {
    const matched = applyFill(emptyLedger(), fill("1", "BUY", "0.48", "10"), "UP", RULES);
    expect(sellableShares(matched, "UP")).toBe(0);
    const retrying = applyFill(matched, fill("1", "BUY", "0.48", "10", { status: "RETRYING" }), "UP", RULES);
    expect(sellableShares(retrying, "UP")).toBe(0);
    const mined = applyFill(retrying, fill("1", "BUY", "0.48", "10", { status: "MINED" }), "UP", RULES);
    expect(sellableShares(mined, "UP")).toBe(m("9.636")); // 10 − 10 × 0.07 × 0.52
    const confirmed = applyFill(mined, fill("1", "BUY", "0.48", "10", { status: "CONFIRMED" }), "UP", RULES);
    expect(sellableShares(confirmed, "UP")).toBe(m("9.636"));
    expect(sellableShares(confirmed, "DOWN")).toBe(0);
    // A maker BUY pays no fee.
    const maker = applyFill(
      confirmed,
      fill("2", "BUY", "0.5", "5", { role: "MAKER", status: "MINED" }),
      "UP",
      RULES,
    );
    expect(sellableShares(maker, "UP")).toBe(m("14.636"));
  });

  it("less the shares sold or being sold (a matched SELL), and never below zero", () => {
    let l = applyFill(emptyLedger(), fill("1", "BUY", "0.48", "10", { status: "MINED" }), "UP", RULES);
    l = applyFill(l, fill("2", "BUY", "0.48", "6"), "UP", RULES); // matched only: not yet sellable
    l = applyFill(l, fill("3", "SELL", "0.55", "4"), "UP", RULES);
    expect(sellableShares(l, "UP")).toBe(m("5.636")); // 9.636 − 4
    // The SELL fails: its shares are back.
    const failed = applyFill(l, fill("3", "SELL", "0.55", "4", { status: "FAILED" }), "UP", RULES);
    expect(sellableShares(failed, "UP")).toBe(m("9.636"));
    // Sold from shares whose trade has not been mined yet (as a reconcile may report): 0, not −3.
    let early = applyFill(emptyLedger(), fill("4", "BUY", "0.48", "10"), "UP", RULES);
    early = applyFill(early, fill("5", "SELL", "0.55", "3"), "UP", RULES);
    expect(sellableShares(early, "UP")).toBe(0);
  });
});

describe("position measures", () => {
  // The seed's partial fill, as taker fills with fees: 10 Up @ 0.48, 6 Down @ 0.49.
  let seed = applyFill(emptyLedger(), fill("1", "BUY", "0.48", "10"), "UP", RULES);
  seed = applyFill(seed, fill("2", "BUY", "0.49", "6"), "DOWN", RULES);

  it("nets cost, guaranteed P&L and P&L per outcome", () => {
    expect(seed.down.netShares).toBe(m("5.7858"));
    expect(netCost(seed)).toBe(m("7.74"));
    // The worse outcome (Down) pays 5.7858 for 7.74 spent.
    expect(guaranteedPnl(seed)).toBe(m("-1.9542"));
    expect(pnlIfWins(seed, "UP")).toBe(m("1.896"));
    expect(pnlIfWins(seed, "DOWN")).toBe(m("-1.9542"));
    expect(hedgeRatio(seed)).toBeCloseTo(5.7858 / 9.636, 12);
    // Cost per share received, fees included, rounded up.
    expect(averageEntry(seed, "UP")).toBe(m("0.498133"));
    expect(averageEntry(seed, "DOWN")).toBe(m("0.508141")); // 2.94 / 5.7858 = 0.5081406…
  });

  it("has a hedge ratio of 0 and needs nothing when empty", () => {
    expect(hedgeRatio(emptyLedger())).toBe(0);
    expect(needsRebalancing(emptyLedger(), 0.8)).toBe(false);
    expect(averageEntry(emptyLedger(), "UP")).toBeUndefined();
    expect(guaranteedPnl(emptyLedger())).toBe(0);
  });

  it("treats a hedge ratio of exactly 0.80 as balanced, one micro-share less as not", () => {
    const maker = { role: "MAKER" as const };
    let l = applyFill(emptyLedger(), fill("1", "BUY", "0.48", "10", maker), "UP", RULES);
    l = applyFill(l, fill("2", "BUY", "0.49", "8", maker), "DOWN", RULES);
    expect(hedgeRatio(l)).toBe(0.8);
    expect(needsRebalancing(l, 0.8)).toBe(false);
    const short = applyFill(l, fill("3", "SELL", "0.5", "0.000001", maker), "DOWN", RULES);
    expect(needsRebalancing(short, 0.8)).toBe(true);
    expect(needsRebalancing(seed, 0.8)).toBe(true);
    expect(needsRebalancing(seed, 0.6)).toBe(false);
  });

  it("resolves to the winner's shares less the net cost", () => {
    expect(resolvePosition(seed, "UP")).toEqual({
      winner: "UP",
      payout: m("9.636"),
      pnl: m("1.896"),
      finalUpShares: m("9.636"),
      finalDownShares: m("5.7858"),
      finalHedgeRatio: hedgeRatio(seed),
    });
    expect(resolvePosition(seed, "DOWN").pnl).toBe(guaranteedPnl(seed));
  });

  it("measures latency between telemetry timestamps", () => {
    expect(latencyMs(1_000, 1_250)).toBe(250);
    expect(latencyMs(undefined, 1_250)).toBeUndefined();
    expect(latencyMs(1_000, null)).toBeUndefined();
  });
});
