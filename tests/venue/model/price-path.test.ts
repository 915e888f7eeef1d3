import { MarketModel } from "../../../src/venue/model/agents";
import { fairUp, MS_PER_YEAR, normalCdf, PricePath } from "../../../src/venue/model/price-path";
import { Rng } from "../../../src/venue/model/rng";

const ORIGIN = Date.UTC(2025, 11, 31, 17, 0, 0);

/** Φ by its Taylor series (fine for |x| ≤ 5 in double precision). */
function phiSeries(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / 2 / n;
    sum += term / (2 * n + 1);
  }
  return 0.5 + sum / Math.sqrt(2 * Math.PI);
}

describe("normalCdf", () => {
  it("matches known values and the series to 1e-9", () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1)).toBeCloseTo(0.8413447460685429, 12);
    expect(normalCdf(-2)).toBeCloseTo(0.022750131948179195, 12);
    expect(normalCdf(-5)).toBeCloseTo(2.866515718791939e-7, 14);
    for (let x = -5; x <= 5; x += 0.137) {
      expect(Math.abs(normalCdf(x) - phiSeries(x))).toBeLessThan(1e-9);
      expect(normalCdf(x) + normalCdf(-x)).toBeCloseTo(1, 14);
    }
    expect(normalCdf(40)).toBe(1);
    expect(normalCdf(-40)).toBe(0);
  });
});

describe("fairUp", () => {
  const sigma = 0.5;
  it("is 0.5 at the money, in [0, 1], and increases with spot", () => {
    expect(fairUp(100, 100, 600_000, sigma)).toBe(0.5);
    let prev = -1;
    for (let spot = 99; spot <= 101; spot += 0.01) {
      const f = fairUp(spot, 100, 600_000, sigma);
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThanOrEqual(1);
      expect(f).toBeGreaterThanOrEqual(prev);
      prev = f;
    }
  });

  it("sharpens as time runs out and is the payoff at expiry", () => {
    const far = fairUp(100.1, 100, 900_000, sigma);
    const near = fairUp(100.1, 100, 30_000, sigma);
    expect(near).toBeGreaterThan(far);
    expect(fairUp(100.1, 100, 0, sigma)).toBe(1);
    expect(fairUp(100, 100, 0, sigma)).toBe(1); // Up wins ties
    expect(fairUp(99.99, 100, 0, sigma)).toBe(0);
    expect(fairUp(99.99, 100, -5, sigma)).toBe(0);
    expect(fairUp(100.1, 100, 1, sigma)).toBeGreaterThan(0.999);
  });

  it("is Φ(ln(S/K)/(σ√τ)) and symmetric", () => {
    const tau = 900_000 / MS_PER_YEAR;
    const x = Math.log(100.2 / 100) / (sigma * Math.sqrt(tau));
    expect(fairUp(100.2, 100, 900_000, sigma)).toBeCloseTo(normalCdf(x), 14);
    expect(fairUp(100.2, 100, 900_000, sigma) + fairUp(100, 100.2, 900_000, sigma)).toBeCloseTo(1, 12);
  });
});

describe("PricePath", () => {
  it("is a deterministic function of the stream and the step, in both directions", () => {
    const mk = () =>
      new PricePath({ rng: Rng.fromSeed(9).fork("p"), originMs: ORIGIN, initialPrice: 100, sigma: 0.8 });
    const a = mk();
    const b = mk();
    expect(a.priceAt(ORIGIN)).toBe(100);
    // Query in different orders; values agree.
    const late = a.priceAt(ORIGIN + 600_000);
    const early = a.priceAt(ORIGIN - 600_000);
    expect(b.priceAt(ORIGIN - 600_000)).toBe(early);
    expect(b.priceAt(ORIGIN + 600_000)).toBe(late);
    expect(a.priceAt(ORIGIN + 600_100)).toBe(a.priceAt(ORIGIN + 600_000)); // same 250ms step
    expect(a.priceAt(ORIGIN + 600_250)).not.toBe(late);
    const other = new PricePath({
      rng: Rng.fromSeed(10).fork("p"),
      originMs: ORIGIN,
      initialPrice: 100,
      sigma: 0.8,
    });
    expect(other.priceAt(ORIGIN + 600_000)).not.toBe(late);
    expect(() => a.priceAt(ORIGIN + 30 * 86_400_000)).toThrow(RangeError);
  });

  it("forgets its past without changing a price, and runs on for longer than its one-go limit", () => {
    const mk = () =>
      new PricePath({
        rng: Rng.fromSeed(9).fork("p"),
        originMs: ORIGIN,
        initialPrice: 100,
        sigma: 0.8,
        maxSteps: 4 * 3_600, // an hour at 250 ms
      });
    const kept = mk();
    const trimmed = mk();
    const hour = 3_600_000;
    for (let h = 1; h <= 5; h++) {
      // Advancing less than the limit at a time, the path goes on past it; forgetting keeps it small.
      for (let t = (h - 1) * hour; t <= h * hour; t += 600_000) {
        expect(trimmed.priceAt(ORIGIN + t)).toBe(kept.priceAt(ORIGIN + t));
      }
      trimmed.forgetBefore(ORIGIN + h * hour - 60_000);
      expect(trimmed.retainedSteps).toBe(241);
      expect(trimmed.priceAt(ORIGIN + h * hour - 60_000)).toBe(kept.priceAt(ORIGIN + h * hour - 60_000));
      expect(trimmed.inBurst(ORIGIN + h * hour)).toBe(kept.inBurst(ORIGIN + h * hour));
    }
    expect(kept.retainedSteps).toBeGreaterThan(5 * 4 * 3_600);
    expect(() => trimmed.priceAt(ORIGIN + hour)).toThrow(/forgotten/);
    // One go of more than the limit is still refused.
    expect(() => trimmed.priceAt(ORIGIN + 7 * hour)).toThrow(RangeError);
    expect(trimmed.priceAt(ORIGIN + 5.5 * hour)).toBe(kept.priceAt(ORIGIN + 5.5 * hour));
  });

  it("has GBM statistics: mean log-return −σ²t/2, variance σ²t, martingale price", () => {
    // Large σ and t so the drift term is measurable; coarse steps keep it fast.
    const sigma = 20;
    const tMs = 86_400_000;
    const tYears = tMs / MS_PER_YEAR;
    const root = Rng.fromSeed(2024);
    const n = 2000;
    const rets: number[] = [];
    for (let i = 0; i < n; i++) {
      const p = new PricePath({
        rng: root.fork(`s${i}`),
        originMs: 0,
        dtMs: 60_000,
        initialPrice: 1,
        sigma,
        bursts: null,
      });
      rets.push(Math.log(p.priceAt(tMs)));
    }
    const mean = rets.reduce((s, x) => s + x, 0) / n;
    const variance = rets.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
    const expMean = (-sigma * sigma * tYears) / 2;
    const sd = sigma * Math.sqrt(tYears);
    expect(Math.abs(mean - expMean)).toBeLessThan((4 * sd) / Math.sqrt(n));
    expect(Math.abs(variance / (sd * sd) - 1)).toBeLessThan(0.1);
    // At a realistic σ the price is a martingale: E[S_t/S_0] ≈ 1.
    let m = 0;
    for (let i = 0; i < 500; i++) {
      const p = new PricePath({
        rng: root.fork(`m${i}`),
        originMs: 0,
        dtMs: 1_000,
        initialPrice: 1,
        sigma: 0.5,
        bursts: null,
      });
      m += p.priceAt(900_000);
    }
    expect(Math.abs(m / 500 - 1)).toBeLessThan(0.002);
  });

  it("has momentum bursts at about the configured rate, with more movement inside them", () => {
    const p = new PricePath({
      rng: Rng.fromSeed(5).fork("b"),
      originMs: 0,
      initialPrice: 100,
      sigma: 0.5,
      bursts: { ratePerHour: 30, sigmaMultiplier: 4, durationMs: [2_000, 6_000], driftSigmas: 1.5 },
    });
    const hours = 4;
    let inBurst = 0;
    let starts = 0;
    let prev = false;
    let sqIn = 0;
    let sqOut = 0;
    let nOut = 0;
    for (let ms = 0; ms < hours * 3_600_000; ms += 250) {
      const b = p.inBurst(ms);
      if (b && !prev) starts++;
      prev = b;
      const r = Math.log(p.priceAt(ms + 250) / p.priceAt(ms)) ** 2;
      if (b) {
        inBurst++;
        sqIn += r;
      } else {
        sqOut += r;
        nOut++;
      }
    }
    expect(starts).toBeGreaterThan(30 * hours * 0.7);
    expect(starts).toBeLessThan(30 * hours * 1.3);
    // Mean duration ≈ 4 s → fraction ≈ 120 × 4 s / 4 h ≈ 3.3%.
    expect(inBurst / (hours * 14_400)).toBeGreaterThan(0.02);
    expect(inBurst / (hours * 14_400)).toBeLessThan(0.05);
    expect(sqIn / inBurst / (sqOut / nOut)).toBeGreaterThan(8);
  });
});

describe("per-asset streams", () => {
  it("an asset's path does not depend on other assets or their parameters", () => {
    const a = new MarketModel({ seed: 11, config: { originMs: ORIGIN } });
    const b = new MarketModel({
      seed: 11,
      config: { originMs: ORIGIN, assets: { ETH: { sigma: 2, initialPrice: 1 } } },
    });
    // b touches ETH and SOL first; a never does.
    b.spot("ETH", ORIGIN + 300_000);
    b.spot("SOL", ORIGIN + 300_000);
    for (const ms of [ORIGIN + 1_000, ORIGIN + 60_000, ORIGIN + 900_000, ORIGIN - 120_000]) {
      expect(a.spot("BTC", ms)).toBe(b.spot("BTC", ms));
    }
    expect(a.spot("ETH", ORIGIN + 60_000)).not.toBe(b.spot("ETH", ORIGIN + 60_000));
    expect(a.spot("BTC", ORIGIN + 60_000) / 95_000).not.toBe(a.spot("XRP", ORIGIN + 60_000) / 2.3);
    const c = new MarketModel({ seed: 12, config: { originMs: ORIGIN } });
    expect(c.spot("BTC", ORIGIN + 60_000)).not.toBe(a.spot("BTC", ORIGIN + 60_000));
  });
});
