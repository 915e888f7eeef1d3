/**
 * The texts a trader reads in the Web UI (src/strategy/arbitrage/summary.ts): dollars to the cent, shares to
 * two decimals, limit prices as fine as their tick, the hedge ratio never rounded up past the threshold; in
 * Markdown, with `$` escaped (the UI's math extension would take two of them for a formula).
 */
import {
  formatHedgeRatio,
  formatPrice,
  formatShares,
  positionDetails,
  positionSummary,
} from "../../src/strategy/arbitrage/summary";

describe("position summary and details", () => {
  it("formats shares, prices and hedge ratios for a person", () => {
    expect(formatShares(27_180_000)).toBe("27.18");
    expect(formatShares(10_257_950)).toBe("10.26");
    expect(formatShares(0)).toBe("0.00");
    expect(formatPrice(450_000)).toBe("$0.45");
    expect(formatPrice(455_000)).toBe("$0.455");
    expect(formatPrice(1_000_000)).toBe("$1.00");
    expect(formatHedgeRatio(1)).toBe("1.00");
    expect(formatHedgeRatio(17.4 / 21.75)).toBe("0.80");
    expect(formatHedgeRatio(17.39 / 21.75)).toBe("0.79");
    expect(formatHedgeRatio(0.99999)).toBe("0.99");
    expect(formatHedgeRatio(0)).toBe("0.00");
  });

  it("summarizes what a position set out to buy", () => {
    expect(
      positionSummary("BTC", {
        upShares: 27_180_000,
        downShares: 27_140_000,
        upLimitPrice: 450_000,
        downLimitPrice: 470_000,
        expectedProfit: 1_146_310,
      }),
    ).toBe("BTC arbitrage: buy 27.18 Up ≤ \\$0.45 and 27.14 Down ≤ \\$0.47, expected P&L \\$1.15");
    expect(
      positionSummary("ETH", {
        upShares: 5_000_000,
        downShares: 5_000_000,
        upLimitPrice: 955_000,
        downLimitPrice: 30_000,
      }),
    ).toBe("ETH arbitrage: buy 5.00 Up ≤ \\$0.955 and 5.00 Down ≤ \\$0.03");
  });

  it("shows a position's state, legs, hedge, cost and guaranteed P&L; and, resolved, the winner and P&L", () => {
    const open = {
      phase: "IMBALANCED",
      slug: "btc-updown-15m-1796309400",
      halted: false,
      upShares: 25_362_600,
      downShares: 15_217_560,
      netCost: 18_701_234,
      hedgeRatio: 15_217_560 / 25_362_600,
      guaranteedPnl: -3_483_674,
      rebalanceTrades: 1,
    };
    expect(positionDetails(open)).toBe(
      "**IMBALANCED** btc-updown-15m-1796309400: Up 25.36 / Down 15.22 shares · hedge 0.60 · cost \\$18.70 · guaranteed P&L -\\$3.48 · 1 rebalance trade",
    );
    expect(
      positionDetails({
        ...open,
        phase: "RESOLVED",
        halted: true,
        downShares: 25_362_600,
        hedgeRatio: 1,
        guaranteedPnl: 221_110,
        rebalanceTrades: 0,
        pnl: 221_110,
        winner: "DOWN",
      }),
    ).toBe(
      "**RESOLVED** (halted) btc-updown-15m-1796309400: Up 25.36 / Down 25.36 shares · hedge 1.00 · cost \\$18.70 · guaranteed P&L \\$0.22 · 0 rebalance trades · **DOWN won: P&L \\$0.22**",
    );
  });
});
