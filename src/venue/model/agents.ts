/**
 * The simulated traders of the venue: what they do at each moment, as AgentAction[].
 *
 * One {@link MarketModel} owns the price paths of the underlyings (price-path.ts) and, per market,
 * a handful of agents, each with its own random stream (forked from the seed by market slug and
 * agent), so adding a market or an asset never changes what happens in another:
 *
 * - "lp"         post-only GTC ladders on both tokens around the fair value (Up ≈ fair,
 *                Down ≈ 1 − fair), `levels` levels a tick apart starting `halfSpreadTicks` from
 *                fair, prices on the tick in [tick, 1 − tick]. It requotes (cancelling only the
 *                levels whose price leaves the ladder) when fair moves by `requoteThresholdTicks`,
 *                every `refreshMs` (refilling levels that were taken), and when a dislocation
 *                starts or ends. Never crosses: its bids stay below the best ask of the token and
 *                below 1 − best bid of the other token (the engine matches BUY vs BUY across
 *                tokens), its asks above the best bid; its own bids sum below 1 by construction.
 * - "noise"      FAK orders crossing the spread: random token, BUY with `buyProbability` else
 *                SELL, `sizeShares` shares, at the best price plus up to `slippageTicks`.
 * - "informed"   when an ask is below the token's fair value by more than `edgeTicks` ticks it
 *                buys it (FAK, limit fair − edge); symmetrically sells into bids above fair + edge.
 * - "sweeper"    occasional large FAK taking 2–5 levels of one side of one token.
 * - "dislocator" at `ratePerMin` per open market: picks d ∈ `edge` (whole ticks) and posts
 *                post-only asks at a (Up) and b (Down) with a + b = 1 − d, both at or below fair,
 *                with independent (so usually unequal) finite depths in `depthShares`, for
 *                `durationMs`, then cancels them. While it lasts the LP keeps its bids below a and
 *                b (so the asks rest), and its asks are above fair anyway. Asks on both tokens
 *                summing below 1 can rest because the engine does not match SELL vs SELL across
 *                tokens — that is the arbitrage the strategies hunt. Buyers are fee-aware: a pair
 *                bought as a taker costs a/(1 − r(1 − a)) + b/(1 − r(1 − b)) per net pair (the fee
 *                r·p(1 − p) per share is taken in shares), ≈ 0.035 more than a + b near 0.5 at
 *                r = 0.07, and they want that ≤ 1 − 0.02. So d starts at 4 ticks, and with
 *                `tradableShare` about that share of dislocations is drawn among the (d, a, b)
 *                that pass that test (`takerFeeRate`, `maxPairCost`), the rest among those that
 *                do not (near 0.5 roughly d ≥ 6 ticks passes, d ≤ 5 does not).
 * - "rival"      a competing arbitrageur: with `probability` per dislocation it waits a random
 *                `delayMs` after the dislocation is posted, then buys (FAK, limit the dislocated
 *                price) `takeFraction` of the posted depth of ONE side, Up or Down at random, capped
 *                at what still rests there. A fast buyer usually gets both legs; a slower one often
 *                finds one leg partly or wholly gone and is left with a partial pair to rebalance.
 *                Its delay is counted in simulated time and it acts at the first step at or after
 *                it (so at the runner's ~100 ms cadence, a 50 ms delay means the next step).
 *
 * Taker and dislocation arrivals are Poisson processes laid out in simulated time from each
 * market's window start, so their timing does not depend on how often `step` is called (events
 * that fall before the model first sees a market are skipped). Takers and dislocations act only
 * while a market is open; the LP also quotes listed markets (at 0.5).
 *
 * Contract with the runner:
 * - `step` returns cancels first, then maker placements, then takers (FAK). Apply them in order,
 *   synchronously, before the next `step`: the model learns what was filled from the next view
 *   (a resting order of its own that has vanished from the book is taken as filled or rejected).
 * - Cancels may name orders that were already filled or rejected; ignore those.
 * - Sizes are shares (micros) for every order, BUY or SELL.
 * - Selling agents need outcome tokens: give each agent the {@link MarketModel.inventoryFor}
 *   shares of BOTH tokens of a market when it is listed (e.g. split pUSD), plus a large pUSD
 *   balance. Every agent that places orders is listed there, the buy-only rival too (with a token
 *   inventory of 1 share by default), so a runner that funds the agents it finds in inventoryFor
 *   funds them all; with `inventoryShares.rival` set to 0 the rival is left out and, unfunded, its
 *   orders are refused.
 * - Markets no longer passed to `step` have their resting orders cancelled and are forgotten.
 *
 * Pure and deterministic: same seed, config, step times, markets and views → same actions.
 */
import { pairCostWithFees } from "../../fees";
import { type Micros, ONE } from "../../money";
import type { AgentAction, Asset, BookLevel, BookView, Side, VenueMarket } from "../types";
import {
  type AssetPathParams,
  type BurstParams,
  DEFAULT_ASSET_PARAMS,
  DEFAULT_BURSTS,
  DEFAULT_PATH_DT_MS,
  fairUp,
  PricePath,
} from "./price-path";
import { Rng, type Seed } from "./rng";

export const AGENTS = {
  lp: "lp",
  noise: "noise",
  informed: "informed",
  sweeper: "sweeper",
  dislocator: "dislocator",
  rival: "rival",
} as const;
export type AgentId = (typeof AGENTS)[keyof typeof AGENTS];

type Range = readonly [number, number];

export interface LpConfig {
  /** Distance of the best quote from fair, ticks; drawn once per market from [min, max]. */
  halfSpreadTicks: Range;
  /** Levels per side per token. */
  levels: number;
  /** Shares per level, uniform integer. */
  sizeShares: Range;
  /** Requote when fair has moved this many ticks since the last quote. */
  requoteThresholdTicks: number;
  /** Requote (and refill taken levels) at least this often. */
  refreshMs: number;
}

export interface NoiseConfig {
  /** Orders per second per open market. */
  ratePerSec: number;
  sizeShares: Range;
  buyProbability: number;
  /** Limit price up to this many ticks through the best price. */
  slippageTicks: number;
}

export interface InformedConfig {
  /** Looks per second per open market. */
  ratePerSec: number;
  /** Acts when a price is more than this many ticks through fair. */
  edgeTicks: number;
  sizeShares: Range;
}

export interface SweepConfig {
  /** Sweeps per minute per open market. */
  ratePerMin: number;
  /** Levels taken, uniform integer. */
  levels: Range;
}

export interface DislocationConfig {
  /**
   * Dislocation arrivals per minute per open market. Arrivals while one is under way, or too close
   * to the window's end for their duration, are dropped, so the realised rate is a little lower:
   * about rate × (1 − rate × mean duration), ≈ 0.92/min at the defaults.
   */
  ratePerMin: number;
  /**
   * d = 1 − (a + b), in units; rounded to whole ticks within the range. Takers pay fees, so the
   * range starts above the taker fees of a pair near 0.5 (≈ 0.035 at 0.07): below that no fee-aware
   * buyer of both sides would ever act.
   */
  edge: Range;
  /**
   * Share of dislocations drawn among the (d, a, b) a fee-aware buyer of both sides would take,
   * i.e. with pairCostWithFees(a, b, takerFeeRate) ≤ maxPairCost; the others are drawn among those
   * it would not. When one group is empty (e.g. near 0 or 1 fees are small and every d passes) the
   * draw is among all. null: no bias, d uniform over the ticks of `edge`.
   */
  tradableShare: number | null;
  /** Taker fee rate (units, 0.07 = crypto markets) assumed by `tradableShare`. */
  takerFeeRate: number;
  /** Highest cost of one net pair including fees that counts as tradable (1 − minimum edge). */
  maxPairCost: number;
  /** Shares posted at a and at b, drawn independently. */
  depthShares: Range;
  durationMs: Range;
}

export interface RivalConfig {
  /** Chance that the rival goes after a given dislocation; 0 switches it off. */
  probability: number;
  /** Its reaction time after the dislocation is posted, ms, uniform. */
  delayMs: Range;
  /** Share of the chosen side's posted depth it buys, uniform (whole shares, at least the minimum order). */
  takeFraction: Range;
}

export interface ModelConfig {
  /**
   * Origin of the price paths (where every asset sits at its initialPrice). If absent, the hour
   * containing the first time the model is asked about; pass it for paths that do not depend on
   * when the run started.
   */
  originMs?: number;
  pathDtMs: number;
  assets: Record<Asset, AssetPathParams>;
  bursts: BurstParams;
  lp: LpConfig;
  noise: NoiseConfig;
  informed: InformedConfig;
  sweep: SweepConfig;
  dislocation: DislocationConfig;
  rival: RivalConfig;
  /** Shares of EACH token each agent should hold per market (see inventoryFor). */
  inventoryShares: Record<AgentId, number>;
}

export const DEFAULT_MODEL_CONFIG: Readonly<ModelConfig> = {
  pathDtMs: DEFAULT_PATH_DT_MS,
  assets: DEFAULT_ASSET_PARAMS,
  bursts: DEFAULT_BURSTS,
  lp: {
    halfSpreadTicks: [1, 2],
    levels: 5,
    sizeShares: [20, 200],
    requoteThresholdTicks: 1,
    refreshMs: 2_000,
  },
  noise: { ratePerSec: 0.5, sizeShares: [5, 40], buyProbability: 0.6, slippageTicks: 1 },
  informed: { ratePerSec: 0.2, edgeTicks: 3, sizeShares: [10, 80] },
  sweep: { ratePerMin: 0.5, levels: [2, 5] },
  dislocation: {
    ratePerMin: 1,
    edge: [0.04, 0.1],
    tradableShare: 0.5,
    takerFeeRate: 0.07,
    maxPairCost: 0.98,
    depthShares: [5, 60],
    durationMs: [2_000, 8_000],
  },
  rival: { probability: 0.6, delayMs: [50, 800], takeFraction: [0.3, 1] },
  // The rival only buys: its 1 share is there so that runners funding the agents of inventoryFor
  // credit it collateral too.
  inventoryShares: {
    lp: 50_000,
    noise: 5_000,
    informed: 5_000,
    sweeper: 20_000,
    dislocator: 5_000,
    rival: 1,
  },
};

export interface ModelConfigInput {
  originMs?: number;
  pathDtMs?: number;
  assets?: Partial<Record<Asset, Partial<AssetPathParams>>>;
  bursts?: Partial<BurstParams>;
  lp?: Partial<LpConfig>;
  noise?: Partial<NoiseConfig>;
  informed?: Partial<InformedConfig>;
  sweep?: Partial<SweepConfig>;
  dislocation?: Partial<DislocationConfig>;
  rival?: Partial<RivalConfig>;
  inventoryShares?: Partial<Record<AgentId, number>>;
}

export function resolveModelConfig(input: ModelConfigInput = {}): ModelConfig {
  const d = DEFAULT_MODEL_CONFIG;
  const assets = {} as Record<Asset, AssetPathParams>;
  for (const a of Object.keys(d.assets) as Asset[]) assets[a] = { ...d.assets[a], ...input.assets?.[a] };
  const cfg: ModelConfig = {
    pathDtMs: input.pathDtMs ?? d.pathDtMs,
    assets,
    bursts: { ...d.bursts, ...input.bursts },
    lp: { ...d.lp, ...input.lp },
    noise: { ...d.noise, ...input.noise },
    informed: { ...d.informed, ...input.informed },
    sweep: { ...d.sweep, ...input.sweep },
    dislocation: { ...d.dislocation, ...input.dislocation },
    rival: { ...d.rival, ...input.rival },
    inventoryShares: { ...d.inventoryShares, ...input.inventoryShares },
  };
  if (input.originMs !== undefined) cfg.originMs = input.originMs;
  // levels 0 switches the liquidity provider off (a scripted market, e.g. in integration tests).
  if (!Number.isInteger(cfg.lp.levels) || cfg.lp.levels < 0 || cfg.lp.halfSpreadTicks[0] < 1)
    throw new RangeError("lp needs levels >= 0, half-spread >= 1 tick");
  const dc = cfg.dislocation;
  if (dc.tradableShare !== null && !(dc.tradableShare >= 0 && dc.tradableShare <= 1))
    throw new RangeError("dislocation.tradableShare must be null or in [0, 1]");
  if (!(dc.takerFeeRate >= 0 && dc.takerFeeRate < 1))
    throw new RangeError("dislocation.takerFeeRate must be in [0, 1)");
  const rv = cfg.rival;
  if (!(rv.probability >= 0 && rv.probability <= 1))
    throw new RangeError("rival.probability must be in [0, 1]");
  if (!(rv.delayMs[0] >= 0 && rv.delayMs[0] <= rv.delayMs[1]))
    throw new RangeError("rival.delayMs must be a range of ms >= 0");
  if (!(rv.takeFraction[0] > 0 && rv.takeFraction[0] <= rv.takeFraction[1] && rv.takeFraction[1] <= 1))
    throw new RangeError("rival.takeFraction must be a range within (0, 1]");
  return cfg;
}

export interface Dislocation {
  startMs: number;
  endMs: number;
  /** Ask prices on Up and Down, a + b = 1 − edge. */
  a: Micros;
  b: Micros;
  edge: Micros;
  sizeUp: Micros;
  sizeDown: Micros;
  /** What the rival will do about it, if anything. */
  rival?: RivalPlan;
}

export interface RivalPlan {
  /** When it acts: the first step at or after this time. */
  atMs: number;
  /** The side it buys: 0 Up (at a), 1 Down (at b). */
  token: 0 | 1;
  /** Shares it buys at most (less if less is left). */
  size: Micros;
}

interface OwnOrder {
  ref: string;
  agent: AgentId;
  token: 0 | 1;
  side: Side;
  price: Micros;
  /** Best knowledge of what is still resting. */
  size: Micros;
}

interface ActiveDislocation extends Dislocation {
  /** The dislocator's two orders, once posted. */
  refs: string[];
  posted: boolean;
  /** The rival has acted (or given up). */
  rivalDone: boolean;
}

interface MarketState {
  market: VenueMarket;
  lpRng: Rng;
  noiseRng: Rng;
  informedRng: Rng;
  sweepRng: Rng;
  dislocationRng: Rng;
  rivalRng: Rng;
  /** Arrival times of each Poisson process come from their own streams (cadence-independent). */
  arrivals: Record<ArrivalKey, Rng>;
  halfSpreadTicks: number;
  orders: Map<string, OwnOrder>;
  counter: number;
  lastStepMs: number;
  quotedFair: number | undefined;
  lastQuoteMs: number;
  nextNoiseMs: number;
  nextInformedMs: number;
  nextSweepMs: number;
  nextDislocationMs: number;
  dislocation: ActiveDislocation | undefined;
}

type ArrivalKey = "nextNoiseMs" | "nextInformedMs" | "nextSweepMs" | "nextDislocationMs";

/** The other side's best prices as seen by the model's makers (its own resting orders removed). */
interface External {
  bid: [Micros | undefined, Micros | undefined];
  ask: [Micros | undefined, Micros | undefined];
}

/** Taker arrivals fired per process per step at most (bounds work after a long gap). */
const MAX_FIRES_PER_STEP = 4;

const shares = (n: number): Micros => Math.round(n) * ONE;
const floorTick = (p: number, t: Micros): Micros => Math.floor(p / t + 1e-9) * t;
const ceilTick = (p: number, t: Micros): Micros => Math.ceil(p / t - 1e-9) * t;
const roundTick = (p: number, t: Micros): Micros => Math.round(p / t) * t;

/** The view with `levels` remembered for the duration of one step (the book does not change within it). */
function memoized(view: BookView): BookView {
  const memo = new Map<string, BookLevel[]>();
  return {
    bestBid: (tokenId) => view.bestBid(tokenId),
    bestAsk: (tokenId) => view.bestAsk(tokenId),
    levels: (tokenId, side, depth) => {
      const key = `${tokenId}|${side}|${depth}`;
      let lv = memo.get(key);
      if (!lv) {
        lv = view.levels(tokenId, side, depth);
        memo.set(key, lv);
      }
      return lv;
    },
  };
}

export interface MarketModelOptions {
  seed: Seed;
  config?: ModelConfigInput;
}

export class MarketModel {
  readonly config: ModelConfig;
  private readonly root: Rng;
  private originMs: number | undefined;
  private readonly paths = new Map<Asset, PricePath>();
  private readonly states = new Map<string, MarketState>();
  private dislocationsStarted = 0;

  constructor(opts: MarketModelOptions) {
    this.config = resolveModelConfig(opts.config);
    this.root = Rng.fromSeed(opts.seed);
    this.originMs = this.config.originMs;
  }

  /** The asset's price path (created on first use; see ModelConfig.originMs). */
  path(asset: Asset, hintMs?: number): PricePath {
    let p = this.paths.get(asset);
    if (!p) {
      if (this.originMs === undefined) {
        if (hintMs === undefined)
          throw new Error("price path origin unknown: pass config.originMs or a time");
        this.originMs = Math.floor(hintMs / 3_600_000) * 3_600_000;
      }
      const params = this.config.assets[asset];
      p = new PricePath({
        rng: this.root.fork(`path:${asset}`),
        originMs: this.originMs,
        dtMs: this.config.pathDtMs,
        initialPrice: params.initialPrice,
        sigma: params.sigma,
        bursts: this.config.bursts,
      });
      this.paths.set(asset, p);
    }
    return p;
  }

  /**
   * Forgets the price paths before `ms` (their memory would grow with every step otherwise): spot, windowPrices
   * and fairValue of an open market must not be asked about earlier times afterwards.
   */
  forgetBefore(ms: number): void {
    for (const p of this.paths.values()) p.forgetBefore(ms);
  }

  /** The underlying's price at `ms`. */
  spot(asset: Asset, ms: number): number {
    return this.path(asset, ms).priceAt(ms);
  }

  /** Start and end prices of the window, for resolution: Up wins iff endPrice ≥ startPrice. */
  windowPrices(market: VenueMarket): { startPrice: number; endPrice: number } {
    return {
      startPrice: this.spot(market.asset, market.startMs),
      endPrice: this.spot(market.asset, market.endMs),
    };
  }

  /** Fair value of Up at `nowMs` (0.5 before the window opens, the payoff after it ends). */
  fairValue(market: VenueMarket, nowMs: number): number {
    if (nowMs < market.startMs) return 0.5;
    const path = this.path(market.asset, nowMs);
    const start = path.priceAt(market.startMs);
    const t = Math.min(nowMs, market.endMs);
    return fairUp(path.priceAt(t), start, market.endMs - t, this.config.assets[market.asset].sigma);
  }

  /** Shares of each token each agent should hold in `market` (0 entries omitted). */
  inventoryFor(_market: VenueMarket): { agent: AgentId; shares: Micros }[] {
    return (Object.keys(this.config.inventoryShares) as AgentId[])
      .filter((a) => this.config.inventoryShares[a] > 0)
      .map((agent) => ({ agent, shares: shares(this.config.inventoryShares[agent]) }));
  }

  /** The dislocation under way in a market, if any. */
  activeDislocation(slug: string): Dislocation | undefined {
    const d = this.states.get(slug)?.dislocation;
    if (!d) return undefined;
    const out: Dislocation = {
      startMs: d.startMs,
      endMs: d.endMs,
      a: d.a,
      b: d.b,
      edge: d.edge,
      sizeUp: d.sizeUp,
      sizeDown: d.sizeDown,
    };
    if (d.rival) out.rival = { ...d.rival };
    return out;
  }

  /** Dislocations started since construction. */
  get dislocationCount(): number {
    return this.dislocationsStarted;
  }

  /** What the simulated traders do at `nowMs` in the given (listed/open) markets. */
  step(nowMs: number, markets: readonly VenueMarket[], view: BookView): AgentAction[] {
    const cancels: AgentAction[] = [];
    const makers: AgentAction[] = [];
    const dislocators: AgentAction[] = [];
    const takers: AgentAction[] = [];
    const seen = new Set<string>();
    const book = memoized(view);

    for (const market of markets) {
      if (seen.has(market.slug)) continue;
      seen.add(market.slug);
      const st = this.stateFor(market, nowMs);
      if (nowMs >= market.endMs) {
        this.cancelAll(st, cancels);
        st.dislocation = undefined;
        continue;
      }
      this.syncFills(st, book);
      // Others' best prices, before any of our own orders are cancelled below.
      const ext = this.external(st, book);
      const fair = this.fairValue(market, nowMs);
      const open = nowMs >= market.startMs;
      let force = false;

      // Dislocation end, then start.
      if (st.dislocation && nowMs >= st.dislocation.endMs) {
        for (const ref of st.dislocation.refs) this.cancel(st, ref, cancels);
        st.dislocation = undefined;
        force = true;
      }
      if (open) {
        const fired = this.fire(st, "nextDislocationMs", nowMs);
        if (fired > 0 && !st.dislocation) {
          const d = this.planDislocation(st, fair, ext, nowMs);
          if (d) {
            const rival = this.planRival(st, d);
            if (rival) d.rival = rival;
            st.dislocation = d;
            this.dislocationsStarted++;
            force = true;
          }
        }
      }

      this.quoteLp(st, fair, ext, nowMs, force, cancels, makers);

      if (st.dislocation && !st.dislocation.posted) this.postDislocation(st, dislocators);

      if (open) this.rivalActs(st, nowMs, takers);
      if (open) this.takers(st, fair, book, nowMs, takers);
      st.lastStepMs = nowMs;
    }

    for (const [slug, st] of this.states) {
      if (seen.has(slug)) continue;
      this.cancelAll(st, cancels);
      this.states.delete(slug);
    }
    return [...cancels, ...makers, ...dislocators, ...takers];
  }

  // --- per-market state -------------------------------------------------------------------------

  private stateFor(market: VenueMarket, nowMs: number): MarketState {
    let st = this.states.get(market.slug);
    if (st) return st;
    const rng = this.root.fork(`market:${market.slug}`);
    const lpRng = rng.fork(AGENTS.lp);
    const cfg = this.config;
    const arrivals: Record<ArrivalKey, Rng> = {
      nextNoiseMs: rng.fork("arrivals:noise"),
      nextInformedMs: rng.fork("arrivals:informed"),
      nextSweepMs: rng.fork("arrivals:sweeper"),
      nextDislocationMs: rng.fork("arrivals:dislocator"),
    };
    st = {
      arrivals,
      market,
      lpRng,
      noiseRng: rng.fork(AGENTS.noise),
      informedRng: rng.fork(AGENTS.informed),
      sweepRng: rng.fork(AGENTS.sweeper),
      dislocationRng: rng.fork(AGENTS.dislocator),
      rivalRng: rng.fork(AGENTS.rival),
      halfSpreadTicks: lpRng.int(cfg.lp.halfSpreadTicks[0], cfg.lp.halfSpreadTicks[1]),
      orders: new Map(),
      counter: 0,
      lastStepMs: nowMs,
      quotedFair: undefined,
      lastQuoteMs: Number.NEGATIVE_INFINITY,
      nextNoiseMs: 0,
      nextInformedMs: 0,
      nextSweepMs: 0,
      nextDislocationMs: 0,
      dislocation: undefined,
    };
    // Arrival processes start at the window open; arrivals before the model first sees the market
    // are skipped by `fire` (they fall before lastStepMs).
    for (const key of Object.keys(arrivals) as ArrivalKey[]) {
      st[key] = market.startMs + arrivals[key].exponential(this.ratePerMs(key));
    }
    this.states.set(market.slug, st);
    return st;
  }

  /**
   * Advances a Poisson process to `nowMs`; returns how many arrivals fell in (lastStepMs, nowMs]
   * (capped). `ratePerMs` ≤ 0 never fires.
   */
  private fire(st: MarketState, key: ArrivalKey, nowMs: number): number {
    const rng = st.arrivals[key];
    const rate = this.ratePerMs(key);
    let n = 0;
    while (st[key] <= nowMs) {
      if (st[key] > st.lastStepMs && n < MAX_FIRES_PER_STEP) n++;
      st[key] += rng.exponential(rate);
    }
    return n;
  }

  private ratePerMs(key: ArrivalKey): number {
    const c = this.config;
    switch (key) {
      case "nextNoiseMs":
        return c.noise.ratePerSec / 1000;
      case "nextInformedMs":
        return c.informed.ratePerSec / 1000;
      case "nextSweepMs":
        return c.sweep.ratePerMin / 60_000;
      case "nextDislocationMs":
        return c.dislocation.ratePerMin / 60_000;
    }
  }

  private nextRef(st: MarketState, agent: AgentId): string {
    st.counter++;
    return `${agent}:${st.market.slug}:${st.counter}`;
  }

  private cancel(st: MarketState, ref: string, out: AgentAction[]): void {
    const o = st.orders.get(ref);
    st.orders.delete(ref);
    const agent = o?.agent ?? (ref.slice(0, ref.indexOf(":")) as AgentId);
    out.push({ kind: "cancel", agent, ref });
  }

  private cancelAll(st: MarketState, out: AgentAction[]): void {
    for (const o of [...st.orders.values()]) this.cancel(st, o.ref, out);
  }

  private place(
    st: MarketState,
    agent: AgentId,
    token: 0 | 1,
    side: Side,
    price: Micros,
    size: Micros,
    out: AgentAction[],
  ): string {
    const ref = this.nextRef(st, agent);
    st.orders.set(ref, { ref, agent, token, side, price, size });
    out.push({
      kind: "place",
      agent,
      tokenId: st.market.tokenIds[token],
      side,
      price,
      size,
      type: "GTC",
      postOnly: true,
      ref,
    });
    return ref;
  }

  // --- what the book says about our own orders --------------------------------------------------

  private ownOn(st: MarketState, token: 0 | 1, side: Side): OwnOrder[] {
    const out: OwnOrder[] = [];
    for (const o of st.orders.values()) if (o.token === token && o.side === side) out.push(o);
    return out;
  }

  private depth(): number {
    return this.config.lp.levels + 4;
  }

  /** Drops (or shrinks) own resting orders the book no longer shows: they were taken or refused. */
  private syncFills(st: MarketState, view: BookView): void {
    for (const token of [0, 1] as const) {
      for (const side of ["BUY", "SELL"] as const) {
        const own = this.ownOn(st, token, side);
        if (own.length === 0) continue;
        const depth = this.depth();
        const levels = view.levels(st.market.tokenIds[token], side, depth);
        const complete = levels.length < depth;
        const last = levels[levels.length - 1];
        const seenPrice = (p: Micros) =>
          complete || (last !== undefined && (side === "BUY" ? p >= last.price : p <= last.price));
        const byPrice = new Map<Micros, OwnOrder[]>();
        for (const o of own) {
          const list = byPrice.get(o.price);
          if (list) list.push(o);
          else byPrice.set(o.price, [o]);
        }
        for (const [price, orders] of byPrice) {
          if (!seenPrice(price)) continue;
          let left = levels.find((l) => l.price === price)?.size ?? 0;
          for (const o of orders) {
            if (left <= 0) {
              st.orders.delete(o.ref);
              continue;
            }
            o.size = Math.min(o.size, left);
            left -= o.size;
          }
        }
      }
    }
  }

  /** Best prices of everyone but the model's own makers (conservative when the view is cut off). */
  private external(st: MarketState, view: BookView): External {
    const ext: External = { bid: [undefined, undefined], ask: [undefined, undefined] };
    for (const token of [0, 1] as const) {
      for (const side of ["BUY", "SELL"] as const) {
        const tokenId = st.market.tokenIds[token];
        const own = this.ownOn(st, token, side);
        let best: Micros | undefined;
        if (own.length === 0) {
          best = (side === "BUY" ? view.bestBid(tokenId) : view.bestAsk(tokenId))?.price;
        } else {
          const depth = this.depth();
          const levels: BookLevel[] = view.levels(tokenId, side, depth);
          for (const l of levels) {
            const mine = own.reduce((s, o) => (o.price === l.price ? s + o.size : s), 0);
            if (l.size > mine) {
              best = l.price;
              break;
            }
          }
          if (best === undefined && levels.length >= depth) best = levels[levels.length - 1]?.price;
        }
        if (side === "BUY") ext.bid[token] = best;
        else ext.ask[token] = best;
      }
    }
    return ext;
  }

  // --- the liquidity provider -------------------------------------------------------------------

  private quoteLp(
    st: MarketState,
    fair: number,
    ext: External,
    nowMs: number,
    force: boolean,
    cancels: AgentAction[],
    places: AgentAction[],
  ): void {
    const cfg = this.config.lp;
    const t = st.market.tickSize;
    const moved =
      st.quotedFair === undefined || Math.abs(fair - st.quotedFair) * ONE >= cfg.requoteThresholdTicks * t;
    if (!force && !moved && nowMs - st.lastQuoteMs < cfg.refreshMs) return;
    st.quotedFair = fair;
    st.lastQuoteMs = nowMs;

    const h = st.halfSpreadTicks * t;
    const disl = st.dislocation;
    const targets = new Map<string, { token: 0 | 1; side: Side; price: Micros }>();
    for (const token of [0, 1] as const) {
      const fv = (token === 0 ? fair : 1 - fair) * ONE;
      const other = token === 0 ? 1 : 0;
      let bidCap = ONE - t;
      const extAsk = ext.ask[token];
      if (extAsk !== undefined) bidCap = Math.min(bidCap, extAsk - t);
      const extOtherBid = ext.bid[other];
      if (extOtherBid !== undefined) bidCap = Math.min(bidCap, ONE - extOtherBid - t);
      let askFloor = t;
      const extBid = ext.bid[token];
      if (extBid !== undefined) askFloor = Math.max(askFloor, extBid + t);
      if (disl) {
        const dAsk = token === 0 ? disl.a : disl.b;
        bidCap = Math.min(bidCap, dAsk - t);
        askFloor = Math.max(askFloor, dAsk + t);
      }
      const bid0 = Math.min(floorTick(fv - h, t), bidCap);
      const ask0 = Math.max(ceilTick(fv + h, t), askFloor);
      for (let i = 0; i < cfg.levels; i++) {
        const b = bid0 - i * t;
        if (b >= t) targets.set(`${token}:BUY:${b}`, { token, side: "BUY", price: b });
        const a = ask0 + i * t;
        if (a <= ONE - t) targets.set(`${token}:SELL:${a}`, { token, side: "SELL", price: a });
      }
    }

    for (const o of [...st.orders.values()]) {
      if (o.agent !== AGENTS.lp) continue;
      const key = `${o.token}:${o.side}:${o.price}`;
      if (targets.has(key)) targets.delete(key);
      else this.cancel(st, o.ref, cancels);
    }
    for (const tg of targets.values()) {
      const size = shares(st.lpRng.int(cfg.sizeShares[0], cfg.sizeShares[1]));
      this.place(st, AGENTS.lp, tg.token, tg.side, tg.price, size, places);
    }
  }

  // --- dislocations -----------------------------------------------------------------------------

  private planDislocation(
    st: MarketState,
    fair: number,
    ext: External,
    nowMs: number,
  ): ActiveDislocation | undefined {
    const cfg = this.config.dislocation;
    const rng = st.dislocationRng;
    const t = st.market.tickSize;
    // A fixed number of draws per arrival, whatever the book: the stream does not depend on it.
    const duration = Math.round(rng.uniform(cfg.durationMs[0], cfg.durationMs[1]));
    const sizeUp = shares(rng.int(cfg.depthShares[0], cfg.depthShares[1]));
    const sizeDown = shares(rng.int(cfg.depthShares[0], cfg.depthShares[1]));
    const wantTradable = cfg.tradableShare === null ? undefined : rng.chance(cfg.tradableShare);
    const pick = rng.next();
    const ndLo = Math.max(1, Math.ceil((cfg.edge[0] * ONE) / t - 1e-9));
    const ndHi = Math.floor((cfg.edge[1] * ONE) / t + 1e-9);
    if (ndHi < ndLo || nowMs + duration > st.market.endMs) return undefined;
    // Fair on the tick, kept off 0 and 1 so both asks can be priced (near expiry a dislocation is
    // e.g. Up 0.95 + Down 0.01).
    const fa = Math.min(ONE - t, Math.max(t, roundTick(fair * ONE, t)));
    // a = fa − ua·t ≥ lowA, b = (1 − fa) − (nd − ua)·t ≥ lowB, and both asks above others' bids.
    const lowA = Math.max(t, (ext.bid[0] ?? 0) + t);
    const lowB = Math.max(t, (ext.bid[1] ?? 0) + t);
    // Every feasible (nd, ua), weighted so that each feasible nd is equally likely.
    const candidates: { nd: number; a: Micros; b: Micros; weight: number; tradable: boolean }[] = [];
    for (let nd = ndLo; nd <= ndHi; nd++) {
      const hi = Math.min(nd, Math.floor((fa - lowA) / t));
      const lo = Math.max(0, nd - Math.floor((ONE - fa - lowB) / t));
      if (lo > hi) continue;
      // Prefer both sides strictly below fair.
      const pLo = Math.max(lo, 1);
      const pHi = Math.min(hi, nd - 1);
      const [uLo, uHi] = pLo <= pHi ? [pLo, pHi] : [lo, hi];
      for (let ua = uLo; ua <= uHi; ua++) {
        const a = fa - ua * t;
        const b = ONE - fa - (nd - ua) * t;
        if (a > ONE - t || b > ONE - t) continue;
        const tradable = wantTradable !== undefined && this.tradableAfterFees(a, b);
        candidates.push({ nd, a, b, weight: 1 / (uHi - uLo + 1), tradable });
      }
    }
    let pool = candidates;
    if (wantTradable !== undefined) {
      const group = candidates.filter((c) => c.tradable === wantTradable);
      if (group.length > 0) pool = group;
    }
    const total = pool.reduce((s, c) => s + c.weight, 0);
    let r = pick * total;
    let chosen = pool[pool.length - 1];
    for (const c of pool) {
      r -= c.weight;
      if (r < 0) {
        chosen = c;
        break;
      }
    }
    if (!chosen) return undefined;
    return {
      startMs: nowMs,
      endMs: nowMs + duration,
      a: chosen.a,
      b: chosen.b,
      edge: chosen.nd * t,
      sizeUp,
      sizeDown,
      refs: [],
      posted: false,
      rivalDone: false,
    };
  }

  /** Would a fee-aware taker buy Up at a and Down at b (see DislocationConfig.tradableShare)? */
  private tradableAfterFees(a: Micros, b: Micros): boolean {
    const cfg = this.config.dislocation;
    const cost = pairCostWithFees(a, b, Math.round(cfg.takerFeeRate * ONE));
    return cost <= Math.round(cfg.maxPairCost * ONE);
  }

  /** Whether and how the rival goes after a new dislocation (four draws, always). */
  private planRival(st: MarketState, d: Dislocation): RivalPlan | undefined {
    const cfg = this.config.rival;
    const rng = st.rivalRng;
    const acts = rng.chance(cfg.probability);
    const delay = Math.round(rng.uniform(cfg.delayMs[0], cfg.delayMs[1]));
    const token = rng.int(0, 1) as 0 | 1;
    const fraction = rng.uniform(cfg.takeFraction[0], cfg.takeFraction[1]);
    if (!acts) return undefined;
    const depth = token === 0 ? d.sizeUp : d.sizeDown;
    const size = Math.min(depth, Math.max(st.market.minOrderSize, shares((fraction * depth) / ONE)));
    return { atMs: d.startMs + delay, token, size };
  }

  /** The rival's FAK, once its delay has passed, on what is left of its side of the dislocation. */
  private rivalActs(st: MarketState, nowMs: number, out: AgentAction[]): void {
    const d = st.dislocation;
    const plan = d?.rival;
    if (!d || !plan || d.rivalDone || !d.posted || nowMs < plan.atMs) return;
    d.rivalDone = true;
    const ref = d.refs[plan.token];
    const left = (ref !== undefined ? st.orders.get(ref)?.size : undefined) ?? 0;
    const size = Math.min(plan.size, left);
    if (size <= 0) return;
    this.fak(st, AGENTS.rival, plan.token, "BUY", plan.token === 0 ? d.a : d.b, size, out);
  }

  private postDislocation(st: MarketState, out: AgentAction[]): void {
    const d = st.dislocation;
    if (!d) return;
    d.posted = true;
    d.refs = [
      this.place(st, AGENTS.dislocator, 0, "SELL", d.a, d.sizeUp, out),
      this.place(st, AGENTS.dislocator, 1, "SELL", d.b, d.sizeDown, out),
    ];
  }

  // --- takers -----------------------------------------------------------------------------------

  private fak(
    st: MarketState,
    agent: AgentId,
    token: 0 | 1,
    side: Side,
    price: Micros,
    size: Micros,
    out: AgentAction[],
  ): void {
    if (size < st.market.minOrderSize) return;
    out.push({
      kind: "place",
      agent,
      tokenId: st.market.tokenIds[token],
      side,
      price,
      size,
      type: "FAK",
      ref: this.nextRef(st, agent),
    });
  }

  private takers(st: MarketState, fair: number, view: BookView, nowMs: number, out: AgentAction[]): void {
    const t = st.market.tickSize;
    const m = st.market;

    const noise = this.config.noise;
    const nNoise = this.fire(st, "nextNoiseMs", nowMs);
    for (let i = 0; i < nNoise; i++) {
      const rng = st.noiseRng;
      const token = rng.int(0, 1) as 0 | 1;
      const buy = rng.chance(noise.buyProbability);
      const size = shares(rng.int(noise.sizeShares[0], noise.sizeShares[1]));
      const slip = rng.int(0, Math.max(0, noise.slippageTicks)) * t;
      if (buy) {
        const ask = view.bestAsk(m.tokenIds[token]);
        if (ask) this.fak(st, AGENTS.noise, token, "BUY", Math.min(ONE - t, ask.price + slip), size, out);
      } else {
        const bid = view.bestBid(m.tokenIds[token]);
        if (bid) this.fak(st, AGENTS.noise, token, "SELL", Math.max(t, bid.price - slip), size, out);
      }
    }

    const inf = this.config.informed;
    const nInformed = this.fire(st, "nextInformedMs", nowMs);
    if (nInformed > 0) {
      const rng = st.informedRng;
      const edge = inf.edgeTicks * t;
      for (const token of [0, 1] as const) {
        const fv = (token === 0 ? fair : 1 - fair) * ONE;
        const tokenId = m.tokenIds[token];
        const size = shares(rng.int(inf.sizeShares[0], inf.sizeShares[1]));
        const ask = view.bestAsk(tokenId);
        const bid = view.bestBid(tokenId);
        if (ask && ask.price < fv - edge) {
          const limit = Math.max(ask.price, floorTick(fv - edge, t));
          this.fak(st, AGENTS.informed, token, "BUY", limit, size, out);
        } else if (bid && bid.price > fv + edge) {
          const limit = Math.min(bid.price, ceilTick(fv + edge, t));
          this.fak(st, AGENTS.informed, token, "SELL", limit, size, out);
        }
      }
    }

    const sw = this.config.sweep;
    const nSweeps = this.fire(st, "nextSweepMs", nowMs);
    for (let i = 0; i < nSweeps; i++) {
      const rng = st.sweepRng;
      const token = rng.int(0, 1) as 0 | 1;
      const buy = rng.chance(0.5);
      const n = rng.int(sw.levels[0], sw.levels[1]);
      const levels = view.levels(m.tokenIds[token], buy ? "SELL" : "BUY", n);
      if (levels.length === 0) continue;
      const last = levels[levels.length - 1] as BookLevel;
      const size = levels.reduce((s, l) => s + l.size, 0);
      this.fak(st, AGENTS.sweeper, token, buy ? "BUY" : "SELL", last.price, size, out);
    }
  }
}
