import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Config } from "../../src/config/schema";
import { pairCostWithFees } from "../../src/fees";
import { parseMicros } from "../../src/money";
import { marketableBuyAmount } from "../../src/protocol/amounts";
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
    // Without fees the same 0.97 would qualify: 10.30 of each commit 4.95 + 5.05 (10.30 × 0.48 = 4.944 and
    // 10.30 × 0.49 = 5.047, each rounded up to the cent) = 10.00, for 10.30 pairs: 0.30 locked in.
    const noFee = detectOpportunity(
      book([lv("0.48", "100")], [lv("0.49", "100")]),
      { ...RULES, feeRate: 0 },
      PARAMS,
    );
    expect(noFee).toMatchObject({ upShares: m("10.30"), downShares: m("10.30"), maxCost: m("10") });
  });

  it("0.47 + 0.47 is one: 10.63 shares a leg lock in 2.3 cents a pair at the most they can spend", () => {
    const o = detectOpportunity(book([lv("0.47", "100")], [lv("0.47", "100")]), RULES, PARAMS)!;
    // 0.47 / (1 − 0.07 × 0.53) = 0.488109… per net share, twice.
    expect(o.pairCost).toBe(m("0.976218"));
    expect(o.spread).toBe(m("0.06"));
    expect(o.upBestAsk).toBe(m("0.47"));
    expect(o.downBestAsk).toBe(m("0.47"));
    // Budget-bound: 10.63 × 0.47 = 4.9961 commits 5.00 a leg (10.00 in all); 10.64 would commit 5.01.
    expect(o.upShares).toBe(m("10.63"));
    expect(o.downShares).toBe(m("10.63"));
    expect(o.maxCost).toBe(m("10"));
    expect(o.grossCost).toBe(m("9.9922"));
    // Each leg nets 10.63 − 10.63 × 0.07 × 0.53 = 10.63 − 0.394373 → fee rounded down to 0.39437.
    expect(o.upNetShares).toBe(m("10.23563"));
    expect(o.downNetShares).toBe(m("10.23563"));
    expect(o.pairs).toBe(m("10.23563"));
    expect(o.expectedProfit).toBe(m("0.24343")); // 10.23563 − 9.9922
    expect(o.worstCaseProfit).toBe(m("0.23563")); // 10.23563 − 10.00
  });

  it("needs the locked-in profit per hedged pair, at the most the orders spend, ≥ minSpread — exactly", () => {
    // 0.23563 / 10.23563 = 0.0230206… per pair: a minimum of 0.023020 passes, 0.023021 does not.
    const b = book([lv("0.47", "100")], [lv("0.47", "100")]);
    expect(detectOpportunity(b, RULES, { ...PARAMS, minSpread: m("0.02302") })).toBeDefined();
    expect(detectOpportunity(b, RULES, { ...PARAMS, minSpread: m("0.023021") })).toBeUndefined();
  });

  it("sizes the legs to equal NET shares: asks 0.30 / 0.64 lock in 2.67 cents a pair, not 1.16", () => {
    // The fee takes 0.07 × 0.70 = 4.9% of an Up purchase but 0.07 × 0.36 = 2.52% of a Down one. Equal gross
    // sizes (10 + 10 for 9.40) would net 9.51 Up and 9.748 Down: (9.51 − 9.40) / 9.51 = 1.16 cents a pair.
    const o = detectOpportunity(book([lv("0.30", "100")], [lv("0.64", "100")]), RULES, PARAMS)!;
    // Up 10.81 nets 10.81 − 0.52969 = 10.28031; Down 10.54 nets 10.54 − 0.2656 = 10.2744 (10.53 would net
    // 10.26465 < 10.2744: it is the least that does). They commit 3.25 (3.243) + 6.75 (6.7456) = 10.00.
    expect(o).toMatchObject({
      upShares: m("10.81"),
      downShares: m("10.54"),
      upNetShares: m("10.28031"),
      downNetShares: m("10.2744"),
      pairs: m("10.2744"),
      maxCost: m("10"),
      grossCost: m("9.9886"), // 3.243 + 6.7456
      worstCaseProfit: m("0.2744"), // 10.2744 − 10.00: 2.67 cents a pair
    });
    // At a 2.7-cent minimum it is not an opportunity (0.2744 / 10.2744 = 0.0267).
    expect(
      detectOpportunity(book([lv("0.30", "100")], [lv("0.64", "100")]), RULES, {
        ...PARAMS,
        minSpread: m("0.027"),
      }),
    ).toBeUndefined();
  });

  it("every leg spends at least the venue's $1 minimum for a marketable BUY", () => {
    // 0.03 + 0.93: 5 shares at 0.03 spend only 0.15; the Up leg needs 33.34 shares (33.33 × 0.03 < 1).
    expect(detectOpportunity(book([lv("0.03", "100")], [lv("0.93", "100")]), RULES, PARAMS)).toBeUndefined();
    const big = { ...PARAMS, budgetPerTrade: m("40") };
    expect(detectOpportunity(book([lv("0.03", "33.33")], [lv("0.93", "100")]), RULES, big)).toBeUndefined();
    const o = detectOpportunity(book([lv("0.03", "33.34")], [lv("0.93", "100")]), RULES, big)!;
    // 33.34 Up net 33.34 − 2.26378 = 31.07622; Down 31.23 nets 31.07698; commits 1.01 + 29.05.
    expect(o).toMatchObject({
      upShares: m("33.34"),
      downShares: m("31.23"),
      pairs: m("31.07622"),
      maxCost: m("30.06"),
    });
  });
});

describe("detectOpportunity: sizing", () => {
  it("walks both ladders, each share priced at its leg's limit", () => {
    const b = book([lv("0.47", "5"), lv("0.48", "100")], [lv("0.46", "8"), lv("0.47", "100")]);
    // 8 pairs: Up 5 @ 0.47 + 3 @ 0.48, Down 8 @ 0.46. Beyond, Down's limit becomes 0.47 and a pair at
    // (0.48, 0.47) costs 0.986241: the whole size at those limits would lock in less than 2 cents a pair.
    const o = detectOpportunity(b, RULES, PARAMS)!;
    expect(o).toMatchObject({
      upShares: m("8"),
      downShares: m("8"),
      upLimitPrice: m("0.48"),
      downLimitPrice: m("0.46"),
      // Up 4.8145 + (3 − 0.1092) = 7.7053; Down 8 − 0.30240 = 7.6976.
      upNetShares: m("7.7053"),
      downNetShares: m("7.6976"),
      grossCost: m("7.47"), // 5 × 0.47 + 3 × 0.48 + 8 × 0.46
      maxCost: m("7.52"), // 8 × 0.48 + 8 × 0.46
      expectedProfit: m("0.2276"), // 7.6976 − 7.47
      worstCaseProfit: m("0.1776"), // 7.6976 − 7.52
    });
    expect(o.pairCost).toBe(pairCostWithFees(m("0.48"), m("0.46"), RATE));
  });

  it("falls back to the largest size of a better pair of limits when the deeper one does not pay", () => {
    // Up 0.50 with Down 0.45 is a net pair at 0.986: past 6 shares nothing pays; the first 6 do.
    const b = book([lv("0.45", "6"), lv("0.50", "100")], [lv("0.45", "100")]);
    expect(detectOpportunity(b, RULES, PARAMS)).toMatchObject({
      upShares: m("6"),
      downShares: m("6"),
      upLimitPrice: m("0.45"),
      pairs: m("5.769"), // 6 − 6 × 0.07 × 0.55
      maxCost: m("5.4"),
    });
  });

  it("is limited by the thinner side and rounds down to 0.01 share", () => {
    const o = detectOpportunity(book([lv("0.47", "7.999")], [lv("0.47", "100")]), RULES, PARAMS)!;
    expect(o.upShares).toBe(m("7.99"));
    expect(o.downShares).toBe(m("7.99"));
    expect(o.upLimitPrice).toBe(m("0.47"));
  });

  it("requires the venue's minimum order size on each leg (5 shares)", () => {
    expect(detectOpportunity(book([lv("0.47", "4.99")], [lv("0.47", "100")]), RULES, PARAMS)).toBeUndefined();
    expect(detectOpportunity(book([lv("0.47", "5")], [lv("0.47", "100")]), RULES, PARAMS)).toMatchObject({
      upShares: m("5"),
      downShares: m("5"),
    });
    // A budget too small for the minimum size: 4.25 × 0.47 commits 2.00 a leg.
    expect(
      detectOpportunity(book([lv("0.47", "100")], [lv("0.47", "100")]), RULES, {
        ...PARAMS,
        budgetPerTrade: m("4"),
      }),
    ).toBeUndefined();
  });

  it("prices the whole size at the limits for the budget, with what each FAK commits", () => {
    // Past 6 Up shares the Up limit is 0.47: 10.74 × 0.47 = 5.0478 commits 5.05 and Down 10.75 × 0.46 =
    // 4.945 commits 4.95: 10.00. (Priced as walked, 5.0478 − 0.06 would have let it buy more.)
    const b = book([lv("0.46", "6"), lv("0.47", "100")], [lv("0.46", "100")]);
    const o = detectOpportunity(b, RULES, PARAMS)!;
    expect(o).toMatchObject({
      upShares: m("10.74"),
      downShares: m("10.75"),
      upLimitPrice: m("0.47"),
      downLimitPrice: m("0.46"),
      maxCost: m("10"),
      grossCost: m("9.9328"), // 6 × 0.46 + 4.74 × 0.47 + 10.75 × 0.46
    });
    expect(o.maxCost).toBe(
      marketableBuyAmount(o.upShares, m("0.47")) + marketableBuyAmount(o.downShares, m("0.46")),
    );
  });

  it("ignores levels that cannot trade and sorts the ladder best first", () => {
    const b = book(
      [lv("0.48", "100"), { price: 0, size: m("50") }, lv("0.47", "0"), lv("0.47", "6")],
      [{ price: m("1"), size: m("9") }, lv("0.47", "100")],
    );
    const o = detectOpportunity(b, RULES, PARAMS)!;
    expect(o.upBestAsk).toBe(m("0.47"));
    expect(o.upShares).toBe(m("6"));
    expect(o.downShares).toBe(m("6"));
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

  const PURE = [
    "../../money",
    "../../fees",
    "../../session/messages",
    "../../protocol/amounts",
    "../../protocol/fills",
    "../../protocol/trade-status",
  ];
  it.each(files)(
    "%s imports only money, fees, the venue's pure rules, message types and siblings",
    (file) => {
      const src = readFileSync(path.join(dir, file), "utf8");
      // Type-only imports (`import type … from`) are erased when compiled: they load nothing in the sandbox.
      const specifiers = [...src.matchAll(/(import|export)\s+(type\s+)?[^;]*?from\s+"([^"]+)"/g)]
        .filter((x) => !x[2])
        .map((x) => x[3]);
      for (const s of specifiers) {
        expect(PURE.includes(s!) || s!.startsWith("./")).toBe(true);
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
    },
  );

  it.each(["amounts.ts", "trade-status.ts", "fills.ts", "vocabulary.ts"])(
    "protocol/%s imports only money, the vocabulary and (as types) messages and events",
    (file) => {
      const src = readFileSync(path.resolve(__dirname, "../../src/protocol", file), "utf8");
      // Type-only imports (`import type … from`) are erased when compiled: they load nothing in the sandbox.
      const specifiers = [...src.matchAll(/(import|export)\s+(type\s+)?[^;]*?from\s+"([^"]+)"/g)]
        .filter((x) => !x[2])
        .map((x) => x[3]);
      for (const s of specifiers) {
        expect(["../money", "./vocabulary", "../session/messages", "./user"]).toContain(s);
      }
      for (const line of src
        .split("\n")
        .filter((l) => l.includes('"../session/messages"') || l.includes('"./user"'))) {
        expect(line.startsWith("import type")).toBe(true);
      }
    },
  );

  it("session/messages is imported for types only", () => {
    for (const file of files) {
      const src = readFileSync(path.join(dir, file), "utf8");
      for (const line of src.split("\n").filter((l) => l.includes('"../../session/messages"'))) {
        expect(line.startsWith("import type")).toBe(true);
      }
    }
  });
});
