/**
 * Seeded price paths of the underlyings (the "Chainlink price" the up/down markets resolve on) and
 * the fair value of "Up".
 *
 * Each asset's price is a geometric Brownian motion with zero drift in price (so −σ²/2 in log):
 *
 *     ln S(k+1) − ln S(k) = −σ²·dt/2 + σ·√dt·Z,   dt in years (365.25 days), Z ~ N(0, 1)
 *
 * stepped every `dtMs` (default 250 ms) from an origin `originMs` where S = initialPrice. The value
 * at time t is the value at step floor((t − originMs) / dtMs): a pure function of the stream and
 * the step index, generated lazily and cached, forward from the origin and (for times before it)
 * backward, with independent streams for each direction.
 *
 * Momentum bursts (forward only): a Poisson process, `ratePerHour`, starts bursts lasting
 * U[durationMs] during which σ is multiplied by `sigmaMultiplier` and a drift kick of
 * ±driftSigmas × σ_burst × √duration (log units, random sign) is spread evenly over the burst.
 * The burst schedule has its own stream, so turning bursts off leaves the diffusion draws alone.
 */
import type { Asset } from "../types";
import type { Rng } from "./rng";

export const MS_PER_YEAR = 365.25 * 86_400_000;

export interface AssetPathParams {
  /** Price at the path's origin. */
  initialPrice: number;
  /** Annualised volatility of the log price. */
  sigma: number;
}

export const DEFAULT_ASSET_PARAMS: Readonly<Record<Asset, AssetPathParams>> = {
  BTC: { initialPrice: 95_000, sigma: 0.5 },
  ETH: { initialPrice: 3_500, sigma: 0.65 },
  SOL: { initialPrice: 200, sigma: 0.8 },
  XRP: { initialPrice: 2.3, sigma: 0.8 },
};

export interface BurstParams {
  /** Expected bursts per hour of simulated time (0 disables). */
  ratePerHour: number;
  sigmaMultiplier: number;
  /** [min, max] duration, uniform. */
  durationMs: readonly [number, number];
  /** Size of the drift kick in standard deviations of the burst's own diffusion. */
  driftSigmas: number;
}

export const DEFAULT_BURSTS: Readonly<BurstParams> = {
  ratePerHour: 6,
  sigmaMultiplier: 4,
  durationMs: [2_000, 6_000],
  driftSigmas: 1.5,
};

export const DEFAULT_PATH_DT_MS = 250;

/**
 * Refuse to generate more than this many steps in one go (7 days at 250 ms): forward beyond the last step
 * generated, or backward from the origin. A path that runs for longer advances a little at a time and can
 * forget its past ({@link PricePath.forgetBefore}), so its memory stays bounded.
 */
export const MAX_PATH_STEPS = 7 * 86_400 * 4;

export interface PricePathOptions {
  /** The path's own stream (e.g. model rng forked by "path:BTC"). */
  rng: Rng;
  originMs: number;
  dtMs?: number;
  initialPrice: number;
  sigma: number;
  /** Momentum bursts; null or rate 0 disables them. */
  bursts?: BurstParams | null;
  maxSteps?: number;
}

interface Burst {
  /** First increment (step k → k+1) inside the burst. */
  startStep: number;
  /** First increment after it. */
  endStep: number;
  sigma: number;
  driftPerStep: number;
}

export class PricePath {
  readonly originMs: number;
  readonly dtMs: number;
  readonly sigma: number;
  readonly initialPrice: number;
  private readonly dtYears: number;
  private readonly sqrtDt: number;
  private readonly maxSteps: number;
  private readonly fwdRng: Rng;
  private readonly backRng: Rng;
  private readonly burstRng: Rng;
  private readonly bursts: BurstParams | null;
  /** fwd[k − base] = price at step k ≥ base (steps before base are forgotten). */
  private fwd: number[];
  private base = 0;
  /** back[j] = price at step −j (back[0] = initial price). */
  private readonly back: number[];
  private burstList: Burst[] = [];
  private nextBurstStep: number;

  constructor(opts: PricePathOptions) {
    if (!(opts.initialPrice > 0) || !(opts.sigma >= 0)) {
      throw new RangeError(`bad path params: price ${opts.initialPrice}, sigma ${opts.sigma}`);
    }
    this.originMs = opts.originMs;
    this.dtMs = opts.dtMs ?? DEFAULT_PATH_DT_MS;
    if (!(this.dtMs > 0)) throw new RangeError(`dtMs must be positive, got ${this.dtMs}`);
    this.sigma = opts.sigma;
    this.initialPrice = opts.initialPrice;
    this.dtYears = this.dtMs / MS_PER_YEAR;
    this.sqrtDt = Math.sqrt(this.dtYears);
    this.maxSteps = opts.maxSteps ?? MAX_PATH_STEPS;
    this.fwdRng = opts.rng.fork("diffusion");
    this.backRng = opts.rng.fork("diffusion-back");
    this.burstRng = opts.rng.fork("bursts");
    this.bursts = opts.bursts && opts.bursts.ratePerHour > 0 ? opts.bursts : null;
    this.fwd = [opts.initialPrice];
    this.back = [opts.initialPrice];
    this.nextBurstStep = this.drawBurstGap(0);
  }

  /** How many forward steps the path holds in memory. */
  get retainedSteps(): number {
    return this.fwd.length;
  }

  /** Step index of time `ms`. */
  stepAt(ms: number): number {
    return Math.floor((ms - this.originMs) / this.dtMs);
  }

  /** The underlying's price at `ms`. */
  priceAt(ms: number): number {
    return this.priceAtStep(this.stepAt(ms));
  }

  priceAtStep(k: number): number {
    const last = this.base + this.fwd.length - 1;
    if (k > last + this.maxSteps || -k > this.maxSteps) {
      throw new RangeError(
        `price path asked for step ${k}, more than ${this.maxSteps} steps beyond what it has generated`,
      );
    }
    if (k >= 0) {
      if (k < this.base) {
        throw new RangeError(`price path asked for step ${k}, forgotten (it keeps steps from ${this.base})`);
      }
      while (this.base + this.fwd.length <= k) this.extendForward();
      return this.fwd[k - this.base] as number;
    }
    const j = -k;
    while (this.back.length <= j) this.extendBackward();
    return this.back[j] as number;
  }

  /** Whether a momentum burst is under way at `ms` (generates the path up to `ms`). */
  inBurst(ms: number): boolean {
    const k = this.stepAt(ms);
    if (k < 0) return false;
    this.priceAtStep(k + 1);
    return this.burstList.some((b) => k >= b.startStep && k < b.endStep);
  }

  /**
   * Forgets the forward steps before `ms` (the last step generated is always kept, to go on from): asking for
   * them afterwards is an error. The values of the steps kept, and of those still to come, do not change.
   */
  forgetBefore(ms: number): void {
    const last = this.base + this.fwd.length - 1;
    const k = Math.min(this.stepAt(ms), last);
    if (k <= this.base) return;
    this.fwd = this.fwd.slice(k - this.base);
    this.base = k;
    this.burstList = this.burstList.filter((b) => b.endStep > k);
  }

  private drawBurstGap(fromStep: number): number {
    if (!this.bursts) return Number.POSITIVE_INFINITY;
    const ratePerStep = (this.bursts.ratePerHour * this.dtMs) / 3_600_000;
    return fromStep + Math.ceil(this.burstRng.exponential(ratePerStep));
  }

  private burstFor(k: number): Burst | undefined {
    const last = this.burstList[this.burstList.length - 1];
    if (last && k < last.endStep) return last;
    if (!this.bursts || k < this.nextBurstStep) return undefined;
    const p = this.bursts;
    const durMs = this.burstRng.uniform(p.durationMs[0], p.durationMs[1]);
    const steps = Math.max(1, Math.round(durMs / this.dtMs));
    const sigma = this.sigma * p.sigmaMultiplier;
    const sign = this.burstRng.chance(0.5) ? 1 : -1;
    const kick = sign * p.driftSigmas * sigma * Math.sqrt(steps * this.dtYears);
    const burst: Burst = { startStep: k, endStep: k + steps, sigma, driftPerStep: kick / steps };
    this.burstList.push(burst);
    this.nextBurstStep = this.drawBurstGap(burst.endStep);
    return burst;
  }

  private extendForward(): void {
    const k = this.base + this.fwd.length - 1;
    const burst = this.burstFor(k);
    const sigma = burst ? burst.sigma : this.sigma;
    const drift = burst ? burst.driftPerStep : 0;
    const z = this.fwdRng.normal();
    const incr = -0.5 * sigma * sigma * this.dtYears + drift + sigma * this.sqrtDt * z;
    this.fwd.push((this.fwd[k - this.base] as number) * Math.exp(incr));
  }

  private extendBackward(): void {
    const j = this.back.length - 1;
    const z = this.backRng.normal();
    // The forward increment from step −(j+1) to −j; undo it.
    const incr = -0.5 * this.sigma * this.sigma * this.dtYears + this.sigma * this.sqrtDt * z;
    this.back.push((this.back[j] as number) * Math.exp(-incr));
  }
}

/**
 * Standard normal CDF Φ(x), by Hart's (1968) rational approximation as given by West (2005),
 * "Better approximations to cumulative normal functions": absolute error below 1e-14.
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const ax = Math.abs(x);
  let c: number;
  if (ax > 37) {
    c = 0;
  } else {
    const e = Math.exp(-0.5 * ax * ax);
    if (ax < 7.07106781186547) {
      let n = 3.52624965998911e-2 * ax + 0.700383064443688;
      n = n * ax + 6.37396220353165;
      n = n * ax + 33.912866078383;
      n = n * ax + 112.079291497871;
      n = n * ax + 221.213596169931;
      n = n * ax + 220.206867912376;
      let d = 8.83883476483184e-2 * ax + 1.75566716318264;
      d = d * ax + 16.064177579207;
      d = d * ax + 86.7807322029461;
      d = d * ax + 296.564248779674;
      d = d * ax + 637.333633378831;
      d = d * ax + 793.826512519948;
      d = d * ax + 440.413735824752;
      c = (e * n) / d;
    } else {
      let b = ax + 0.65;
      b = ax + 4 / b;
      b = ax + 3 / b;
      b = ax + 2 / b;
      b = ax + 1 / b;
      c = e / b / 2.506628274631;
    }
  }
  return x > 0 ? 1 - c : c;
}

/**
 * Fair value of "Up" (the window's end price ≥ its start price):
 * Φ(ln(spot / start) / (σ√τ)), τ = remainingMs in years. At τ = 0 (or σ = 0) it is the payoff:
 * 1 if spot ≥ start, else 0.
 *
 * This is the median-centred approximation (it omits the −σ²τ/2 of the exact zero-drift
 * probability, worth under 0.1¢ for windows up to an hour at crypto vols), so it is exactly 0.5
 * at the money and symmetric: fairUp for Down is 1 − fairUp.
 */
export function fairUp(spot: number, startPrice: number, remainingMs: number, sigma: number): number {
  if (remainingMs <= 0 || sigma <= 0) return spot >= startPrice ? 1 : 0;
  const tau = remainingMs / MS_PER_YEAR;
  return normalCdf(Math.log(spot / startPrice) / (sigma * Math.sqrt(tau)));
}
