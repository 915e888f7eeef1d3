/**
 * The venue's heartbeat, pure and deterministic: on each tick it lists upcoming windows, opens and
 * resolves markets on schedule, advances trade settlement, and lets the simulated traders act.
 * Inbound orders from the HTTP server go straight to `engine` between ticks. Given the same seed
 * and the same inbound orders at the same times, the event stream is the same.
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
}

const DEFAULT_AGENT_COLLATERAL: Micros = 100_000_000_000_000; // $100M: the crowd never runs dry

/** Account and owner names of the simulated traders: nobody authenticates as them. */
export const agentAccount = (agent: AgentId) => `sim:${agent}`;

export class Simulation {
  readonly engine: MatchingEngine;
  readonly model: MarketModel;
  readonly #opts: Required<Pick<SimulationOptions, "seed" | "assets" | "windowMs" | "listAhead">>;
  readonly #markets = new Map<string, VenueMarket>();
  readonly #opened = new Set<string>();
  readonly #resolved = new Set<string>();
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
    this.engine = new MatchingEngine({ ...opts.engine, seed: `venue-${opts.seed}` });
    this.model = new MarketModel({ seed: opts.seed, config: opts.model ?? {} });
  }

  /** Every market listed so far (including resolved ones), oldest first. */
  markets(): VenueMarket[] {
    return [...this.#markets.values()];
  }

  marketBySlug(slug: string): VenueMarket | undefined {
    return this.#markets.get(slug);
  }

  isResolved(market: VenueMarket): boolean {
    return this.#resolved.has(market.slug);
  }

  tick(nowMs: number): void {
    if (nowMs < this.#lastTickMs) throw new RangeError(`time went backwards: ${nowMs} < ${this.#lastTickMs}`);
    this.#lastTickMs = nowMs;
    for (const m of scheduleWindows({ ...this.#opts, nowMs })) {
      if (!this.#markets.has(m.slug)) this.#list(m, nowMs);
    }
    for (const m of this.#markets.values()) {
      if (!this.#opened.has(m.slug) && nowMs >= m.startMs) {
        this.#opened.add(m.slug);
        this.engine.openMarket(m.conditionId, this.model.windowPrices(m).startPrice, nowMs);
      }
    }
    this.engine.advance(nowMs);
    for (const m of this.#markets.values()) {
      if (!this.#resolved.has(m.slug) && nowMs >= m.endMs) this.#resolve(m, nowMs);
    }
    const open = [...this.#markets.values()].filter((m) => m.startMs <= nowMs && nowMs < m.endMs);
    for (const action of this.model.step(nowMs, open, this.engine)) this.#apply(action, nowMs);
  }

  #list(market: VenueMarket, nowMs: number): void {
    this.#markets.set(market.slug, market);
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
    this.#resolved.add(market.slug);
    const { startPrice, endPrice } = this.model.windowPrices(market);
    const winner = endPrice >= startPrice ? 0 : 1;
    this.engine.resolveMarket(market.conditionId, market.tokenIds[winner], startPrice, endPrice, nowMs);
    for (const [key, orderId] of this.#agentOrders) {
      if (this.engine.getOrder(orderId)?.market === market.conditionId) this.#agentOrders.delete(key);
    }
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
