/**
 * The venue's heartbeat, pure and deterministic: on each tick it lists upcoming windows, opens and
 * resolves markets on schedule, advances trade settlement, and lets the simulated traders act.
 * Inbound orders from the HTTP server go straight to `engine` between ticks. Given the same seed
 * and the same inbound orders at the same times, the event stream is the same.
 *
 * Retention: once a market is resolved (its orders closed, its trades settled), the engine forgets its
 * orders and trades in which only simulated traders took part (nobody can ask for them) and keeps those
 * of everyone else (API keys: their orders and trades stay readable, e.g. for reconciliation), the model
 * forgets its price paths before the oldest market still running, and the market's resolution is kept
 * (Gamma answers with it) for `resolvedRetentionMs`, after which the market is forgotten too. So what the
 * simulation holds stays bounded however many windows go by, but for what the API keys did.
 */
import { createHash } from "node:crypto";
import type { Micros } from "../money";
import { MatchingEngine, type MatchingEngineOptions } from "./engine";
import { DEFAULT_LIST_AHEAD, scheduleWindows } from "./markets";
import { type AgentId, MarketModel, type ModelConfigInput } from "./model/agents";
import type { AgentAction, Asset, VenueMarket } from "./types";

export interface SimulationOptions {
  seed: number;
  assets: readonly Asset[];
  windowMs: number;
  listAhead?: number;
  /** pUSD each simulated trader starts with (micros). */
  agentCollateral?: Micros;
  engine?: Omit<MatchingEngineOptions, "seed">;
  model?: ModelConfigInput;
  /** How long a resolved market stays listed (Gamma, market info) after its resolution (default 24 h). */
  resolvedRetentionMs?: number;
}

export const DEFAULT_RESOLVED_RETENTION_MS = 86_400_000;

/** How a market resolved: Up wins iff endPrice ≥ startPrice. */
export interface Resolution {
  startPrice: number;
  endPrice: number;
  winner: "Up" | "Down";
  resolvedAtMs: number;
}

const DEFAULT_AGENT_COLLATERAL: Micros = 100_000_000_000_000; // $100M: the crowd never runs dry

/** Account and owner names of the simulated traders: nobody authenticates as them. */
export const agentAccount = (agent: AgentId) => `sim:${agent}`;

/** Whether an owner or account is one of the simulated traders'. */
export const isAgent = (party: string) => party.startsWith("sim:");

export class Simulation {
  readonly engine: MatchingEngine;
  readonly model: MarketModel;
  readonly #opts: Required<Pick<SimulationOptions, "seed" | "assets" | "windowMs" | "listAhead">>;
  readonly #markets = new Map<string, VenueMarket>();
  /** The markets not resolved yet, in listing order. */
  readonly #live = new Map<string, VenueMarket>();
  readonly #opened = new Set<string>();
  readonly #resolved = new Map<string, Resolution>();
  /** Resolved markets in order of resolution, each with the time it is forgotten. */
  readonly #retired: { market: VenueMarket; dropAtMs: number }[] = [];
  readonly #retentionMs: number;
  readonly #agentOrders = new Map<string, string>();
  readonly #fundedAgents = new Set<string>();
  readonly #agentCollateral: Micros;
  #agentSeq = 0;
  #lastTickMs = Number.NEGATIVE_INFINITY;

  constructor(opts: SimulationOptions) {
    this.#opts = {
      seed: opts.seed,
      assets: opts.assets,
      windowMs: opts.windowMs,
      listAhead: opts.listAhead ?? DEFAULT_LIST_AHEAD,
    };
    this.#agentCollateral = opts.agentCollateral ?? DEFAULT_AGENT_COLLATERAL;
    this.#retentionMs = opts.resolvedRetentionMs ?? DEFAULT_RESOLVED_RETENTION_MS;
    this.engine = new MatchingEngine({ ...opts.engine, seed: `venue-${opts.seed}` });
    this.model = new MarketModel({ seed: opts.seed, config: opts.model ?? {} });
  }

  /** Every market listed so far (including resolved ones still retained), oldest first. */
  markets(): VenueMarket[] {
    return [...this.#markets.values()];
  }

  marketBySlug(slug: string): VenueMarket | undefined {
    return this.#markets.get(slug);
  }

  isResolved(market: VenueMarket): boolean {
    return this.#resolved.has(market.slug);
  }

  /** How a resolved market (still retained) resolved; undefined before its resolution. */
  resolution(market: VenueMarket): Resolution | undefined {
    const r = this.#resolved.get(market.slug);
    return r ? { ...r } : undefined;
  }

  tick(nowMs: number): void {
    if (nowMs < this.#lastTickMs) throw new RangeError(`time went backwards: ${nowMs} < ${this.#lastTickMs}`);
    this.#lastTickMs = nowMs;
    this.#forgetRetired(nowMs);
    for (const m of scheduleWindows({ ...this.#opts, nowMs })) {
      if (!this.#markets.has(m.slug)) this.#list(m, nowMs);
    }
    for (const m of this.#live.values()) {
      if (!this.#opened.has(m.slug) && nowMs >= m.startMs) {
        this.#opened.add(m.slug);
        this.engine.openMarket(m.conditionId, this.model.windowPrices(m).startPrice, nowMs);
      }
    }
    this.engine.advance(nowMs);
    let resolved = false;
    for (const m of [...this.#live.values()]) {
      if (nowMs >= m.endMs) {
        this.#resolve(m, nowMs);
        resolved = true;
      }
    }
    if (resolved) {
      let oldest = nowMs;
      for (const m of this.#live.values()) oldest = Math.min(oldest, m.startMs);
      this.model.forgetBefore(oldest);
    }
    const open = [...this.#live.values()].filter((m) => m.startMs <= nowMs && nowMs < m.endMs);
    for (const action of this.model.step(nowMs, open, this.engine)) this.#apply(action, nowMs);
  }

  /** Forgets the resolved markets whose retention is over. */
  #forgetRetired(nowMs: number): void {
    while (this.#retired.length > 0 && this.#retired[0]!.dropAtMs <= nowMs) {
      const { market } = this.#retired.shift()!;
      this.engine.dropMarket(market.conditionId);
      this.#markets.delete(market.slug);
      this.#opened.delete(market.slug);
      this.#resolved.delete(market.slug);
    }
  }

  #list(market: VenueMarket, nowMs: number): void {
    this.#markets.set(market.slug, market);
    this.#live.set(market.slug, market);
    this.engine.listMarket(market, nowMs);
    for (const { agent, shares } of this.model.inventoryFor(market)) {
      const account = agentAccount(agent);
      if (!this.#fundedAgents.has(account)) {
        this.#fundedAgents.add(account);
        this.engine.credit(account, this.#agentCollateral);
      }
      // Minting pairs gives the agent shares of both outcomes to sell.
      this.engine.split(account, market.conditionId, shares, nowMs);
    }
  }

  #resolve(market: VenueMarket, nowMs: number): void {
    this.#live.delete(market.slug);
    const { startPrice, endPrice } = this.model.windowPrices(market);
    const winner = endPrice >= startPrice ? 0 : 1;
    this.#resolved.set(market.slug, {
      startPrice,
      endPrice,
      winner: winner === 0 ? "Up" : "Down",
      resolvedAtMs: nowMs,
    });
    this.engine.resolveMarket(market.conditionId, market.tokenIds[winner], startPrice, endPrice, nowMs);
    for (const [key, orderId] of this.#agentOrders) {
      if (this.engine.getOrder(orderId)?.market === market.conditionId) this.#agentOrders.delete(key);
    }
    this.engine.compactMarket(market.conditionId, (party) => !isAgent(party));
    this.#retired.push({ market, dropAtMs: nowMs + this.#retentionMs });
  }

  #apply(action: AgentAction, nowMs: number): void {
    const account = agentAccount(action.agent as AgentId);
    const key = `${action.agent}/${action.ref}`;
    if (action.kind === "cancel") {
      const orderId = this.#agentOrders.get(key);
      if (orderId) {
        this.engine.cancel(account, [orderId], nowMs);
        this.#agentOrders.delete(key);
      }
      return;
    }
    const id = `0x${createHash("sha256")
      .update(`agent-order/${this.#opts.seed}/${++this.#agentSeq}`)
      .digest("hex")}`;
    const result = this.engine.submit(
      {
        id,
        owner: account,
        account,
        tokenId: action.tokenId,
        side: action.side,
        price: action.price,
        size: action.size,
        type: action.type,
        postOnly: action.postOnly ?? false,
        expiresAtMs: 0,
      },
      nowMs,
    );
    if (result.success && (action.type === "GTC" || action.type === "GTD")) this.#agentOrders.set(key, id);
  }
}
