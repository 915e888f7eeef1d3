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

describe("MarketModel determinism", () => {
  it("gives identical actions for the same seed and views, different ones for another seed", () => {
    const a = scriptedRun(1);
    const b = scriptedRun(1);
    expect(a.length).toBeGreaterThan(200);
    expect(b).toEqual(a);
    const c = scriptedRun(2);
    expect(c).not.toEqual(a);
    const kinds = new Set(a.map((x) => `${x.agent}:${x.kind}`));
    for (const k of ["lp:place", "lp:cancel", "noise:place", "dislocator:place", "dislocator:cancel"]) {
      expect(kinds).toContain(k);
    }
  });

  it("does not change one market's actions when another market is added", () => {
    const btcOnly = scriptedRun(5, ["BTC"]);
    const both = scriptedRun(5, ["BTC", "ETH"]).filter((x) => x.ref.includes(":btc-"));
    expect(both).toEqual(btcOnly);
  });

  it("is reproducible end to end against a book that reacts", () => {
    const a = run({ seed: 9, assets: ["BTC"], minutes: 3 });
    const b = run({ seed: 9, assets: ["BTC"], minutes: 3 });
    expect(b.actions).toEqual(a.actions);
    expect(a.book.fills).toBeGreaterThan(20);
  });
});

describe("LP quotes", () => {
  it("are on the tick, inside [tick, 1 − tick], post-only and never cross", () => {
    let steps = 0;
    const { book, actions } = run({
      seed: 3,
      assets: ["BTC", "SOL"],
      minutes: 12,
      onStep: (now, markets, bk) => {
        if (now % 5_000 !== 0) return;
        for (const m of markets) {
          const [up, down] = m.tokenIds;
          for (const t of [up, down]) {
            const bid = bk.bestBid(t);
            const ask = bk.bestAsk(t);
            if (bid && ask) expect(bid.price).toBeLessThan(ask.price);
          }
          const bu = bk.bestBid(up);
          const bd = bk.bestBid(down);
          if (bu && bd) expect(bu.price + bd.price).toBeLessThan(ONE);
          steps++;
        }
      },
    });
    expect(steps).toBeGreaterThan(100);
    expect(book.rejections).toEqual([]);
    const makers = actions.filter((a) => a.kind === "place" && a.type === "GTC");
    expect(makers.length).toBeGreaterThan(500);
    for (const a of actions) {
      if (a.kind !== "place") continue;
      expect(a.price % TICK).toBe(0);
      expect(a.price).toBeGreaterThanOrEqual(TICK);
      expect(a.price).toBeLessThanOrEqual(ONE - TICK);
      expect(a.size % ONE).toBe(0);
      expect(a.size).toBeGreaterThanOrEqual(5 * ONE);
      if (a.type === "GTC") expect(a.postOnly).toBe(true);
    }
  });

  it("quote around fair value: Up near fair, Down near 1 − fair", () => {
    const model = new MarketModel({ seed: 4, config: { originMs: T0 } });
    const m = venueMarket({ seed: 4, asset: "ETH", windowMs: 900_000, startMs: T0 });
    const book = new FakeBook();
    book.addMarket(m);
    const now = T0 + 200_000;
    book.apply(model.step(now, [m], book));
    const fair = model.fairValue(m, now) * ONE;
    const upBid = book.bestBid(m.tokenIds[0])?.price ?? 0;
    const upAsk = book.bestAsk(m.tokenIds[0])?.price ?? ONE;
    const downBid = book.bestBid(m.tokenIds[1])?.price ?? 0;
    const downAsk = book.bestAsk(m.tokenIds[1])?.price ?? ONE;
    expect(upBid).toBeLessThan(fair);
    expect(upAsk).toBeGreaterThan(fair);
    expect(fair - upBid).toBeLessThanOrEqual(3 * TICK);
    expect(upAsk - fair).toBeLessThanOrEqual(3 * TICK);
    expect(downBid).toBeLessThan(ONE - fair);
    expect(downAsk).toBeGreaterThan(ONE - fair);
    expect(book.levels(m.tokenIds[0], "BUY", 10)).toHaveLength(5);
    for (const l of book.levels(m.tokenIds[1], "SELL", 10)) {
      expect(l.size).toBeGreaterThanOrEqual(20 * ONE);
      expect(l.size).toBeLessThanOrEqual(200 * ONE);
    }
  });

  it("cancels what it has in markets that are no longer passed", () => {
    const model = new MarketModel({ seed: 4, config: { originMs: T0 } });
    const m = venueMarket({ seed: 4, asset: "BTC", windowMs: 900_000, startMs: T0 });
    const book = new FakeBook();
    book.addMarket(m);
    book.apply(model.step(T0 + 1_000, [m], book));
    const resting = book.orders.size;
    expect(resting).toBe(20);
    const after = model.step(T0 + 2_000, [], book);
    expect(after.every((a) => a.kind === "cancel")).toBe(true);
    book.apply(after);
    expect(book.orders.size).toBe(0);
  });
});

describe("dislocations", () => {
  it("arrive at about the configured rate, with ask sums of 1 − d and asymmetric finite depth", () => {
    const minutes = 60;
    const assets: ("BTC" | "ETH")[] = ["BTC", "ETH"];
    let openMinutes = 0;
    let dislocatedSteps = 0;
    let visibleSteps = 0;
    const seen = new Map<string, { edge: number; a: number; b: number; sizeUp: number; sizeDown: number }>();
    const { model, book } = run({
      seed: 21,
      assets,
      minutes,
      onStep: (now, markets, bk, mdl) => {
        for (const m of markets) {
          if (statusAt(m, now) !== "open") continue;
          openMinutes += 250 / 60_000;
          const d = mdl.activeDislocation(m.slug);
          const upAsk = bk.bestAsk(m.tokenIds[0]);
          const downAsk = bk.bestAsk(m.tokenIds[1]);
          const sum = upAsk && downAsk ? upAsk.price + downAsk.price : undefined;
          if (!d) {
            // Outside a dislocation the asks never sum below 1.
            if (sum !== undefined) expect(sum).toBeGreaterThan(ONE);
            continue;
          }
          seen.set(`${m.slug}@${d.startMs}`, d);
          expect(d.a + d.b).toBe(ONE - d.edge);
          if (now === d.startMs) continue; // posted this step
          dislocatedSteps++;
          if (sum !== undefined && sum <= ONE - 40_000) {
            visibleSteps++;
            expect(sum).toBeGreaterThanOrEqual(ONE - 100_000);
          }
        }
      },
    });
    const expected = openMinutes * 1; // default 1 per market-minute
    expect(openMinutes).toBeCloseTo(minutes * assets.length, 0);
    expect(model.dislocationCount).toBe(seen.size);
    expect(seen.size).toBeGreaterThan(expected * 0.75);
    expect(seen.size).toBeLessThan(expected * 1.1);
    // Most of the time the dislocation is visible at the top of both books.
    expect(visibleSteps / dislocatedSteps).toBeGreaterThan(0.6);
    let asymmetric = 0;
    for (const d of seen.values()) {
      expect(d.edge).toBeGreaterThanOrEqual(40_000);
      expect(d.edge).toBeLessThanOrEqual(100_000);
      expect(d.edge % TICK).toBe(0);
      for (const s of [d.sizeUp, d.sizeDown]) {
        expect(s).toBeGreaterThanOrEqual(5 * ONE);
        expect(s).toBeLessThanOrEqual(60 * ONE);
      }
      if (d.sizeUp !== d.sizeDown) asymmetric++;
    }
    expect(asymmetric / seen.size).toBeGreaterThan(0.9);
    expect(book.rejections).toEqual([]);
  });

  it("can be switched off", () => {
    const { model, actions } = run({
      seed: 21,
      assets: ["BTC"],
      minutes: 5,
      config: { dislocation: { ratePerMin: 0 } },
    });
    expect(model.dislocationCount).toBe(0);
    expect(actions.some((a) => a.agent === "dislocator")).toBe(false);
  });
});

describe("takers and resolution", () => {
  it("noise, informed and sweep orders are FAK and cross the book", () => {
    const { actions } = run({ seed: 8, assets: ["BTC"], minutes: 15, config: { sweep: { ratePerMin: 4 } } });
    const takers = actions.filter((a) => a.kind === "place" && a.type === "FAK");
    const agents = new Set(takers.map((a) => a.agent));
    expect(agents).toEqual(new Set(["noise", "informed", "sweeper", "rival"]));
    const noise = takers.filter((a) => a.agent === "noise");
    // ~0.5/s for 15 minutes
    expect(noise.length).toBeGreaterThan(300);
    expect(noise.length).toBeLessThan(600);
    for (const a of noise) {
      if (a.kind !== "place") continue;
      expect(a.size).toBeGreaterThanOrEqual(5 * ONE);
      expect(a.size).toBeLessThanOrEqual(40 * ONE);
    }
    const sweeps = takers.filter((a) => a.agent === "sweeper");
    expect(sweeps.length).toBeGreaterThan(30);
  });

  it("arrival timing does not depend on the step cadence", () => {
    const times = (stepMs: number) => {
      const out: number[] = [];
      run({
        seed: 13,
        assets: ["XRP"],
        minutes: 4,
        stepMs,
        onStep: (now, _m, _b, _model, actions) => {
          for (const a of actions) if (a.agent === "dislocator" && a.kind === "place") out.push(now);
        },
      });
      return out;
    };
    const fine = times(100);
    const coarse = times(250);
    expect(fine.length).toBeGreaterThan(1);
    // Same dislocations, each seen at the first step at or after its arrival.
    expect(coarse.length).toBe(fine.length);
    for (let i = 0; i < fine.length; i++) {
      expect(Math.abs((coarse[i] ?? 0) - (fine[i] ?? 0))).toBeLessThanOrEqual(250);
    }
  });

  it("windowPrices come from the path and decide the winner", () => {
    const model = new MarketModel({ seed: 30, config: { originMs: T0 } });
    const m = venueMarket({ seed: 30, asset: "BTC", windowMs: 900_000, startMs: T0 + 900_000 });
    const { startPrice, endPrice } = model.windowPrices(m);
    expect(startPrice).toBe(model.spot("BTC", m.startMs));
    expect(endPrice).toBe(model.spot("BTC", m.endMs));
    expect(model.fairValue(m, m.endMs)).toBe(endPrice >= startPrice ? 1 : 0);
    expect(model.fairValue(m, m.startMs - 1)).toBe(0.5);
    expect(model.fairValue(m, m.startMs)).toBe(0.5);
    let up = 0;
    for (let i = 0; i < 200; i++) {
      const w = venueMarket({ seed: 30, asset: "ETH", windowMs: 900_000, startMs: T0 + i * 900_000 });
      const p = model.windowPrices(w);
      if (p.endPrice >= p.startPrice) up++;
    }
    expect(up).toBeGreaterThan(70);
    expect(up).toBeLessThan(130);
  });

  it("suggests inventories for the selling agents", () => {
    const model = new MarketModel({ seed: 1 });
    const m = venueMarket({ seed: 1, asset: "BTC", windowMs: 900_000, startMs: T0 });
    const inv = model.inventoryFor(m);
    expect(inv.map((x) => x.agent).sort()).toEqual(["dislocator", "informed", "lp", "noise", "rival", "sweeper"]);
    for (const x of inv) expect(x.shares % ONE).toBe(0);
  });
});
