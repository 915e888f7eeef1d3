import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Config } from "../../src/config/schema";
import { pairCostWithFees } from "../../src/fees";
import { parseMicros } from "../../src/money";
import type { MarketBookSnapshot, PriceLevel } from "../../src/session/messages";
import { type ArbitrageParams, detectOpportunity, type MarketRules } from "../../src/strategy/arbitrage";

const m = parseMicros;
const RATE = m("0.07");
const RULES: MarketRules = { tickSize: m("0.01"), minOrderSize: m("5"), feeRate: RATE, feeExponent: 1 };
const PARAMS = { minSpread: m("0.02"), budgetPerTrade: m("10") };

const lv = (price: string, size: string): PriceLevel => ({ price: m(price), size: m(size) });
function book(upAsks: PriceLevel[], downAsks: PriceLevel[]): MarketBookSnapshot {
  return {
    seq: 1,
    venueAtMs: 0,
    receivedAtMs: 0,
    tickSize: m("0.01"),
    up: { bids: [], asks: upAsks },
    down: { bids: [], asks: downAsks },
  };
}

// The config's arbitrage section can be passed as the params, and every param is a config field of the same
// type (the config may carry more: the polling interval and session-level guards).
type Section = Config["arbitrage"];
const toParams = (c: Omit<Section, "rebalanceCheckIntervalMs">): ArbitrageParams => c;
const toSection = (p: ArbitrageParams): Pick<Section, keyof ArbitrageParams> => p;
const noExtraKey: [Exclude<keyof ArbitrageParams, keyof Section>] extends [never] ? true : false = true;
void toParams;
void toSection;
void noExtraKey;

describe("detectOpportunity: fees decide", () => {
  it("asks summing to 0.98 are NOT an opportunity at p ≈ 0.5, rate 0.07, min spread 0.02", () => {
    // One net share at 0.49 costs 0.49 / (1 − 0.07 × 0.51) = 0.508140…, so a net pair costs 1.016282.
    expect(pairCostWithFees(m("0.49"), m("0.49"), RATE)).toBe(m("1.016282"));
    expect(detectOpportunity(book([lv("0.49", "100")], [lv("0.49", "100")]), RULES, PARAMS)).toBeUndefined();
    // Nor is the seed's own example (0.48 + 0.49 = 0.97, "a 3-cent spread"): 1.006273 per net pair.
    expect(pairCostWithFees(m("0.48"), m("0.49"), RATE)).toBe(m("1.006273"));
    expect(detectOpportunity(book([lv("0.48", "100")], [lv("0.49", "100")]), RULES, PARAMS)).toBeUndefined();
    // Without fees the same 0.97 would qualify.
    expect(
      detectOpportunity(book([lv("0.48", "100")], [lv("0.49", "100")]), { ...RULES, feeRate: 0 }, PARAMS),
    ).toBeDefined();
  });

  it("0.47 + 0.47 is one: net pair 0.976218 ≤ 0.98", () => {
    const o = detectOpportunity(book([lv("0.47", "100")], [lv("0.47", "100")]), RULES, PARAMS)!;
    expect(o.pairCost).toBe(m("0.976218"));
    expect(o.spread).toBe(m("0.06"));
    expect(o.upBestAsk).toBe(m("0.47"));
    expect(o.downBestAsk).toBe(m("0.47"));
    // Budget-bound: 10 / 0.94 = 10.638… → 10.63 shares per leg.
    expect(o.shares).toBe(m("10.63"));
    expect(o.maxCost).toBe(m("9.9922"));
    expect(o.grossCost).toBe(m("9.9922"));
    // Each leg nets 10.63 − 10.63 × 0.07 × 0.53 = 10.235627 → fee rounded down to 5 decimals.
    expect(o.upNetShares).toBe(m("10.23563"));
    expect(o.downNetShares).toBe(m("10.23563"));
    expect(o.expectedProfit).toBe(m("10.23563") - m("9.9922"));
  });

  it("a pair cost exactly at the bound qualifies; one micro above does not", () => {
    const ok = detectOpportunity(book([lv("0.47", "100")], [lv("0.47", "100")]), RULES, {
      ...PARAMS,
      minSpread: m("1") - m("0.976218"),
    });
    expect(ok).toBeDefined();
    const no = detectOpportunity(book([lv("0.47", "100")], [lv("0.47", "100")]), RULES, {
      ...PARAMS,
      minSpread: m("1") - m("0.976218") + 1,
    });
    expect(no).toBeUndefined();
  });

  it("refuses lopsided pairs whose equal gross shares would lose despite a pair cost under the bound", () => {
    // 0.03 + 0.93: pair cost 0.966765, but 1 gross share of each nets only 0.9321 Up shares for 0.96.
    expect(pairCostWithFees(m("0.03"), m("0.93"), RATE)).toBe(m("0.966765"));
    expect(detectOpportunity(book([lv("0.03", "100")], [lv("0.93", "100")]), RULES, PARAMS)).toBeUndefined();
  });
});

describe("detectOpportunity: sizing", () => {
  it("walks both ladders while the marginal pair at the worse levels stays within the bound", () => {
    const b = book([lv("0.47", "5"), lv("0.48", "100")], [lv("0.46", "8"), lv("0.47", "100")]);
    // (0.47, 0.46) 0.96618 ok → 5; (0.48, 0.46) 0.976204 ok → 3 more; (0.48, 0.47) 0.986241 stops.
    const o = detectOpportunity(b, RULES, PARAMS)!;
    expect(o.shares).toBe(m("8"));
    expect(o.upLimitPrice).toBe(m("0.48"));
    expect(o.downLimitPrice).toBe(m("0.46"));
    expect(o.pairCost).toBe(pairCostWithFees(m("0.48"), m("0.46"), RATE));
    // 5 × 0.47 + 3 × 0.48 + 8 × 0.46 walked; 8 × (0.48 + 0.46) at most.
    expect(o.grossCost).toBe(m("2.35") + m("1.44") + m("3.68"));
    expect(o.maxCost).toBe(m("7.52"));
    expect(o.expectedProfit).toBe(Math.min(o.upNetShares, o.downNetShares) - o.grossCost);
    expect(o.expectedProfit).toBe(m("0.2276"));
  });

  it("is limited by the thinner side and rounds down to 0.01 share", () => {
    const o = detectOpportunity(book([lv("0.47", "7.999")], [lv("0.47", "100")]), RULES, PARAMS)!;
    expect(o.shares).toBe(m("7.99"));
    expect(o.upLimitPrice).toBe(m("0.47"));
  });

  it("requires the minimum order size", () => {
    expect(detectOpportunity(book([lv("0.47", "4.99")], [lv("0.47", "100")]), RULES, PARAMS)).toBeUndefined();
    expect(detectOpportunity(book([lv("0.47", "5")], [lv("0.47", "100")]), RULES, PARAMS)?.shares).toBe(
      m("5"),
    );
    // A budget too small for the minimum size: 4 / 0.94 = 4.25 shares.
    expect(
      detectOpportunity(book([lv("0.47", "100")], [lv("0.47", "100")]), RULES, {
        ...PARAMS,
        budgetPerTrade: m("4"),
      }),
    ).toBeUndefined();
  });

  it("prices the whole size at the limits for the budget", () => {
    // 6 at (0.46, 0.46) then (0.47, 0.46): 10 / 0.93 = 10.75 caps the size, not 10 / 0.92.
    const b = book([lv("0.46", "6"), lv("0.47", "100")], [lv("0.46", "100")]);
    const o = detectOpportunity(b, RULES, PARAMS)!;
    expect(o.shares).toBe(m("10.75"));
    expect(o.upLimitPrice).toBe(m("0.47"));
    expect(o.maxCost).toBeLessThanOrEqual(PARAMS.budgetPerTrade);
  });

  it("ignores levels that cannot trade and sorts the ladder best first", () => {
    const b = book(
      [lv("0.48", "100"), { price: 0, size: m("50") }, lv("0.47", "0"), lv("0.47", "6")],
      [{ price: m("1"), size: m("9") }, lv("0.47", "100")],
    );
    const o = detectOpportunity(b, RULES, PARAMS)!;
    expect(o.upBestAsk).toBe(m("0.47"));
    expect(o.shares).toBe(m("6"));
  });

  it("returns undefined on an empty side, and where the fee would eat the purchase", () => {
    expect(detectOpportunity(book([], [lv("0.4", "100")]), RULES, PARAMS)).toBeUndefined();
    // e = 0 at rate 0.07: a fee of 0.07 per share cannot be paid in shares bought at 0.05.
    expect(
      detectOpportunity(book([lv("0.05", "100")], [lv("0.5", "100")]), { ...RULES, feeExponent: 0 }, PARAMS),
    ).toBeUndefined();
  });
});

describe("sandbox safety of src/strategy/arbitrage", () => {
  const dir = path.resolve(__dirname, "../../src/strategy/arbitrage");
  const files = readdirSync(dir).filter((f) => f.endsWith(".ts"));

  it.each(files)("%s imports only money, fees, session message types and its siblings", (file) => {
    const src = readFileSync(path.join(dir, file), "utf8");
    const specifiers = [...src.matchAll(/from\s+"([^"]+)"/g)].map((x) => x[1]);
    for (const s of specifiers) {
      expect(
        ["../../money", "../../fees", "../../session/messages"].includes(s!) || s!.startsWith("./"),
      ).toBe(true);
    }
    const code = src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
    for (const banned of [
      "Date",
      "Math.random",
      "require(",
      "process.",
      "setTimeout",
      "performance",
      "crypto",
    ]) {
      expect(code.includes(banned)).toBe(false);
    }
  });

  it("session/messages is imported for types only", () => {
    for (const file of files) {
      const src = readFileSync(path.join(dir, file), "utf8");
      for (const line of src.split("\n").filter((l) => l.includes('"../../session/messages"'))) {
        expect(line.startsWith("import type")).toBe(true);
      }
    }
  });
});
