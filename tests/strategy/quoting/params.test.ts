import { loadConfig } from "../../../src/config/load";
import type { Config } from "../../../src/config/schema";
import {
  DEFAULT_QUOTING_PARAMS,
  type QuotingParams,
  QuotingParamsError,
  validateQuotingParams,
} from "../../../src/strategy/quoting";
import { m, P } from "./helpers";

// The config's quoting section can be passed as the params once it has the one Ballast field the seed
// lacks (sweepDepthBandTicks): every other field has the same name and type.
type Section = Config["quoting"];
const fromSection = (c: Section): Omit<QuotingParams, "sweepDepthBandTicks"> => c;
const toSection = (p: QuotingParams): Section => p;
void fromSection;
void toSection;

describe("quoting parameters", () => {
  it("default to the seed's values (money in micros, durations in ms)", () => {
    expect(DEFAULT_QUOTING_PARAMS).toEqual({
      quoteOffsetTicks: 0,
      improveWhenSpreadTicks: 4,
      maxSpreadTicks: 10,
      refreshThresholdTicks: 2,
      minRefreshIntervalMs: 500,
      globalRefreshCapPerSec: 10,
      momentumThresholdTicks: 3,
      momentumWindowMs: 500,
      cooldownMs: 2_000,
      sweepDepthThreshold: 0.5,
      sweepDepthBandTicks: 5,
      maxPositionPerMarket: 100,
      maxLiabilityPerMarket: m("50"),
      maxTotalLiability: m("500"),
      inventorySkewCoefficient: 0.1,
      maxDrawdownPerMarket: m("20"),
      maxDrawdownGlobal: m("100"),
      staleFeedMs: 10_000,
      maxConsecutiveErrors: 5,
      circuitBreakerRecoveryMs: 60_000,
      orderSize: m("10"),
      batchSize: 15,
      cancelOnMomentum: true,
      postOnly: true,
      markoutHorizonsMs: [1_000, 5_000, 15_000, 30_000, 60_000],
    });
  });

  it("agree with the config's defaults field by field", () => {
    const { sweepDepthBandTicks: _, ...ours } = DEFAULT_QUOTING_PARAMS;
    expect(loadConfig({ env: {} }).quoting).toEqual(ours);
  });

  it("validation passes the defaults and names every bad field on one line", () => {
    expect(validateQuotingParams(P)).toBe(P);
    const bad = { ...P, batchSize: 16, postOnly: false, sweepDepthThreshold: 0 };
    expect(() => validateQuotingParams(bad)).toThrow(QuotingParamsError);
    expect(() => validateQuotingParams(bad)).toThrow(
      "invalid quoting parameters: sweepDepthThreshold must be in (0, 1], got 0; " +
        "batchSize must be a whole number in [1, 15], got 16; postOnly must be true: quotes earn rebates only as a maker",
    );
  });
});
