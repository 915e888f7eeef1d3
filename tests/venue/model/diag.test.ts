import { pairCostWithFees } from "../../../src/fees";
import { ONE } from "../../../src/money";
import { scheduleWindows, statusAt, venueMarket } from "../../../src/venue/markets";
import { MarketModel, type ModelConfigInput } from "../../../src/venue/model/agents";
import type { AgentAction, BookLevel, BookView, Side, VenueMarket } from "../../../src/venue/types";

const T0 = Date.parse("2025-12-31T17:00:00Z");
const TICK = 10_000;

interface Resting {
  ref: string;
  agent: string;
  tokenId: string;
  side: Side;
  price: number;
  size: number;
}

/**
 * A small stand-in for the engine: resting GTC orders, post-only rejection (including the
 * BUY-vs-BUY complementary cross), FAK matching against the same token's opposite side.
 */
class FakeBook implements BookView {
  readonly orders = new Map<string, Resting>();
  private readonly byToken = new Map<string, Map<string, Resting>>();
  private readonly complement = new Map<string, string>();
  rejections: { action: AgentAction; why: string }[] = [];
  fills = 0;
  /** Every fill: who took from whom (maker order `makerRef`), how many shares. */
  trades: { taker: string; maker: string; makerRef: string; size: number }[] = [];

  addMarket(m: VenueMarket): void {
    this.complement.set(m.tokenIds[0], m.tokenIds[1]);
    this.complement.set(m.tokenIds[1], m.tokenIds[0]);
  }

  private readonly sorted = new Map<string, Resting[]>();

  private side(tokenId: string, side: Side): Resting[] {
    const key = `${tokenId}|${side}`;
    let list = this.sorted.get(key);
    if (!list) {
      list = [...(this.byToken.get(tokenId)?.values() ?? [])].filter((o) => o.side === side);
      list.sort((a, b) => (side === "BUY" ? b.price - a.price : a.price - b.price));
      this.sorted.set(key, list);
    }
    return list;
  }

  private touch(tokenId: string): void {
    this.sorted.delete(`${tokenId}|BUY`);
    this.sorted.delete(`${tokenId}|SELL`);
  }

  levels(tokenId: string, side: Side, depth: number): BookLevel[] {
    const out: BookLevel[] = [];
    for (const o of this.side(tokenId, side)) {
      const last = out[out.length - 1];
      if (last && last.price === o.price) last.size += o.size;
      else if (out.length < depth) out.push({ price: o.price, size: o.size });
      else break;
    }
    return out;
  }

  bestBid(tokenId: string): BookLevel | undefined {
    return this.levels(tokenId, "BUY", 1)[0];
  }

  bestAsk(tokenId: string): BookLevel | undefined {
    return this.levels(tokenId, "SELL", 1)[0];
  }

  apply(actions: AgentAction[]): void {
    for (const a of actions) {
      const key = `${a.agent}|${a.ref}`;
      if (a.kind === "cancel") {
        this.remove(key);
        continue;
      }
      if (a.type === "FAK") {
        this.take(a.agent, a.tokenId, a.side, a.price, a.size);
        continue;
      }
      if (a.postOnly) {
        const why = this.crosses(a.tokenId, a.side, a.price);
        if (why) {
          this.rejections.push({ action: a, why });
          continue;
        }
      }
      const o = {
        ref: a.ref,
        agent: a.agent,
        tokenId: a.tokenId,
        side: a.side,
        price: a.price,
        size: a.size,
      };
      this.orders.set(key, o);
      let forToken = this.byToken.get(a.tokenId);
      if (!forToken) {
        forToken = new Map();
        this.byToken.set(a.tokenId, forToken);
      }
      forToken.set(key, o);
      this.touch(a.tokenId);
    }
  }

  private remove(key: string): void {
    const o = this.orders.get(key);
    if (!o) return;
    this.orders.delete(key);
    this.byToken.get(o.tokenId)?.delete(key);
    this.touch(o.tokenId);
  }

  crosses(tokenId: string, side: Side, price: number): string | undefined {
    if (side === "SELL") {
      const bid = this.bestBid(tokenId);
      return bid && price <= bid.price ? `ask ${price} <= bid ${bid.price}` : undefined;
    }
    const ask = this.bestAsk(tokenId);
    if (ask && price >= ask.price) return `bid ${price} >= ask ${ask.price}`;
    const other = this.complement.get(tokenId);
    const otherBid = other ? this.bestBid(other) : undefined;
    if (otherBid && price + otherBid.price >= ONE) return `bid ${price} + other bid ${otherBid.price} >= 1`;
    return undefined;
  }

  private take(taker: string, tokenId: string, side: Side, limit: number, size: number): void {
    let left = size;
    for (const o of [...this.side(tokenId, side === "BUY" ? "SELL" : "BUY")]) {
      if (left <= 0) break;
      if (side === "BUY" ? o.price > limit : o.price < limit) break;
      const q = Math.min(left, o.size);
      o.size -= q;
      left -= q;
      this.fills++;
      this.trades.push({ taker, maker: o.agent, makerRef: o.ref, size: q });
      if (o.size === 0) this.remove(`${o.agent}|${o.ref}`);
    }
  }
}

function run(opts: {
  seed: number;
  config?: ModelConfigInput;
  assets: ("BTC" | "ETH" | "SOL" | "XRP")[];
  minutes: number;
  stepMs?: number;
  onStep?: (
    now: number,
    markets: VenueMarket[],
    book: FakeBook,
    model: MarketModel,
    actions: AgentAction[],
  ) => void;
}) {
  const model = new MarketModel({ seed: opts.seed, config: { originMs: T0, ...opts.config } });
  const book = new FakeBook();
  const all: AgentAction[] = [];
  const stepMs = opts.stepMs ?? 250;
  for (let now = T0; now < T0 + opts.minutes * 60_000; now += stepMs) {
    const markets = scheduleWindows({ seed: opts.seed, assets: opts.assets, windowMs: 900_000, nowMs: now });
    for (const m of markets) book.addMarket(m);
    const actions = model.step(now, markets, book);
    book.apply(actions);
    all.push(...actions);
    opts.onStep?.(now, markets, book, model, actions);
  }
  return { model, book, actions: all };
}

/** A book that depends only on time: a wide ladder (others' orders) drifting around 0.5. */
function scriptedView(now: number): BookView {
  const mid = 500_000 + 10_000 * Math.round(3 * Math.sin(now / 20_000));
  const lv = (side: Side, depth: number): BookLevel[] =>
    Array.from({ length: Math.min(depth, 4) }, (_, i) => ({
      price: side === "BUY" ? mid - (i + 30) * TICK : mid + (i + 30) * TICK,
      size: (20 + 5 * i) * ONE,
    }));
  return {
    bestBid: () => lv("BUY", 1)[0],
    bestAsk: () => lv("SELL", 1)[0],
    levels: (_t, side, depth) => lv(side, depth),
  };
}

function scriptedRun(seed: number, assets: ("BTC" | "ETH")[] = ["BTC"]): AgentAction[] {
  const model = new MarketModel({ seed, config: { originMs: T0 } });
  const out: AgentAction[] = [];
  for (let now = T0; now < T0 + 5 * 60_000; now += 200) {
    const markets = scheduleWindows({ seed, assets, windowMs: 900_000, nowMs: now }).filter(
      (m) => m.startMs <= now,
    );
    out.push(...model.step(now, markets, scriptedView(now)));
  }
  return out;
}


for (const [label, cfg] of [["default", {}], ["norival", { rival: { probability: 0 } }], ["norival-noinf", { rival: { probability: 0 }, informed: { ratePerSec: 0 } }], ["noinf", { informed: { ratePerSec: 0 } }]] as const) {
  it(label, () => {
    let dislocatedSteps = 0, visibleSteps = 0;
    run({ seed: 21, assets: ["BTC", "ETH"], minutes: 60, config: cfg as ModelConfigInput, onStep: (now, markets, bk, mdl) => {
      for (const m of markets) {
        if (statusAt(m, now) !== "open") continue;
        const d = mdl.activeDislocation(m.slug);
        if (!d || now === d.startMs) continue;
        const u = bk.bestAsk(m.tokenIds[0]); const w = bk.bestAsk(m.tokenIds[1]);
        if (now - d.startMs > 250) continue;
        dislocatedSteps++;
        if (u && w && u.price + w.price <= ONE - 40_000) visibleSteps++;
      }
    }});
    console.log(label, visibleSteps / dislocatedSteps);
  });
}
