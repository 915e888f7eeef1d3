import type { OurFill, Outcome } from "../../../src/session/messages";
import {
  type AnalysedFill,
  attribute,
  fillFee,
  fillRebate,
  type MidSample,
  markout,
  markouts,
  toxicity,
} from "../../../src/strategy/quoting";
import { CENT_TICK, FINE_TICK, m, P, RATE } from "./helpers";

function f(
  outcome: Outcome,
  side: "BUY" | "SELL",
  price: string,
  size: string,
  atMs = 1_000,
  role: "MAKER" | "TAKER" = "MAKER",
  tick = CENT_TICK,
): AnalysedFill {
  const fill: OurFill = {
    tradeId: `t-${outcome}-${price}-${atMs}`,
    orderId: "o",
    tokenId: outcome,
    side,
    role,
    price: m(price),
    size: m(size),
    feeRate: RATE,
    status: "CONFIRMED",
    atMs,
  };
  return { fill, outcome, tick };
}

const series = (...samples: [number, string][]): MidSample[] =>
  samples.map(([atMs, mid]) => ({ atMs, upMid: m(mid) }));
// Up mid: 0.50 at the fills (1 s), 0.49 from 1.5 s, 0.46 from 5.5 s, 0.47 from 30 s.
const MIDS = series([1_000, "0.50"], [1_500, "0.49"], [5_500, "0.46"], [30_000, "0.47"]);
const RULES = { feeExponent: 1 };

describe("fill analytics: markouts", () => {
  it("a BUY of Up: value at the horizon − price, per share, in ticks and in pUSD", () => {
    const buy = f("UP", "BUY", "0.48", "20");
    const all = markouts(buy, P.markoutHorizonsMs, MIDS, 20_000, true);
    // +1 s (2 000): mid 0.49 → +0.01 a share, 1 tick, 0.20 for 20 shares.
    expect(all["1000"]).toEqual({ perShare: m("0.01"), ticks: 1, pnl: m("0.2") });
    // +5 s (6 000): 0.46 → −0.02, −2 ticks, −0.40.
    expect(all["5000"]).toEqual({ perShare: m("-0.02"), ticks: -2, pnl: m("-0.4") });
    // +15 s (16 000): still 0.46. +30 s (31 000) is after what was observed (20 000): none yet.
    expect(all["15000"]).toEqual({ perShare: m("-0.02"), ticks: -2, pnl: m("-0.4") });
    expect(all["30000"]).toBeUndefined();
    expect(all["60000"]).toBeUndefined();
    // At resolution Up won: 1 − 0.48 = 0.52 a share, 10.40; had it lost: −9.60.
    expect(all.resolution).toEqual({ perShare: m("0.52"), ticks: 52, pnl: m("10.4") });
    expect(markout(buy, "resolution", MIDS, 20_000, false)).toEqual({
      perShare: m("-0.48"),
      ticks: -48,
      pnl: m("-9.6"),
    });
    expect(markout(buy, "resolution", MIDS, 20_000)).toBeUndefined();
  });

  it("a BUY of Down is valued at 1 − the Up mid; a SELL is signed the other way", () => {
    // Down at 0.49; Up mid 0.46 at +5 s → Down worth 0.54: +0.05 a share, 5 ticks, 1.00 for 20.
    expect(markout(f("DOWN", "BUY", "0.49", "20"), 5_000, MIDS, 20_000)).toEqual({
      perShare: m("0.05"),
      ticks: 5,
      pnl: m("1"),
    });
    // SELL of Up at 0.52: 0.52 − 0.46 = +0.06.
    expect(markout(f("UP", "SELL", "0.52", "10"), 5_000, MIDS, 20_000)?.perShare).toBe(m("0.06"));
  });

  it("ticks are the fill's tick: 0.0025 at tick 0.001 is 2.5 ticks", () => {
    const fine = f("UP", "BUY", "0.971", "10.2", 1_000, "MAKER", FINE_TICK);
    expect(markout(fine, 1_000, series([1_000, "0.971"], [1_900, "0.9735"]), 5_000)).toEqual({
      perShare: m("0.0025"),
      ticks: 2.5,
      pnl: m("0.0255"),
    });
  });
});

describe("fill analytics: toxicity", () => {
  it("is the share of fills with a negative 5 s markout among those that have one", () => {
    const fills = [
      f("UP", "BUY", "0.48", "20"), // −0.02: toxic
      f("DOWN", "BUY", "0.49", "20"), // +0.05
      f("UP", "BUY", "0.46", "20"), // 0: not toxic
      f("UP", "BUY", "0.40", "20", 8_000), // +5 s is after 10 000: not counted
    ];
    expect(toxicity(fills, MIDS, 10_000)).toEqual({ toxic: 1, counted: 3, share: 1 / 3 });
  });
});

describe("fill analytics: rebates, fees, attribution", () => {
  it("a maker fill earns 20 % of its fee equivalent; a taker fill pays the fee and earns none", () => {
    // 20 × 0.07 × 0.48 × 0.52 = 0.34944; 20 % of it = 0.069888.
    expect(fillRebate(f("UP", "BUY", "0.48", "20"), RULES)).toBe(m("0.069888"));
    expect(fillFee(f("UP", "BUY", "0.48", "20"), RULES)).toBe(0);
    expect(fillRebate(f("UP", "BUY", "0.48", "20", 1_000, "TAKER"), RULES)).toBe(0);
    expect(fillFee(f("UP", "BUY", "0.48", "20", 1_000, "TAKER"), RULES)).toBe(m("0.34944"));
  });

  it("spread capture + rebates − adverse selection − fees, at 60 s", () => {
    const fills = [f("UP", "BUY", "0.48", "20"), f("UP", "SELL", "0.52", "10", 1_000, "TAKER")];
    // BUY: captured (0.50 − 0.48) × 20 = 0.40 at once; 60 s later (0.47) worth −0.20: adverse 0.60.
    // SELL (taker): captured (0.52 − 0.50) × 10 = 0.20; 60 s later +0.50: adverse −0.30 (favourable);
    // fee 10 × 0.07 × 0.52 × 0.48 = 0.17472. Rebate of the maker BUY: 0.069888.
    expect(attribute(fills, 60_000, MIDS, 100_000, RULES)).toEqual({
      fills: 2,
      spreadCapture: m("0.6"),
      rebates: m("0.069888"),
      adverseSelection: m("0.3"),
      fees: m("0.17472"),
      // 0.60 + 0.069888 − 0.30 − 0.17472
      net: m("0.195168"),
    });
  });
});
