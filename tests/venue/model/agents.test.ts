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
    let firstSteps = 0;
    let visibleFirstSteps = 0;
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
          const first = now - d.startMs <= 250;
          if (first) firstSteps++;
          if (sum !== undefined && sum <= ONE - 40_000) {
            visibleSteps++;
            if (first) visibleFirstSteps++;
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
    // Right after it is posted the dislocation is almost always visible at the top of both books;
    // over its life takers (the rival, the informed trader when an ask is > 3 ticks under fair)
    // often eat one side, so it stays whole only part of the time.
    expect(visibleFirstSteps / firstSteps).toBeGreaterThan(0.85);
    expect(visibleSteps / dislocatedSteps).toBeGreaterThan(0.4);
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

  it("are tradable after taker fees about tradableShare of the time", () => {
    const fee = 70_000;
    const tradable = (d: { a: number; b: number }) => pairCostWithFees(d.a, d.b, fee) <= ONE - 20_000;
    const collect = (config?: ModelConfigInput) => {
      const seen = new Map<string, { a: number; b: number; edge: number }>();
      run({
        seed: 34,
        assets: ["BTC", "ETH", "SOL"],
        minutes: 60,
        stepMs: 1_000,
        ...(config ? { config } : {}),
        onStep: (_now, markets, _bk, mdl) => {
          for (const m of markets) {
            const d = mdl.activeDislocation(m.slug);
            if (d) seen.set(`${m.slug}@${d.startMs}`, d);
          }
        },
      });
      return [...seen.values()];
    };
    const biased = collect();
    expect(biased.length).toBeGreaterThan(100);
    const share = biased.filter(tradable).length / biased.length;
    expect(share).toBeGreaterThanOrEqual(0.3);
    // Near 0 or 1 fees are small and every d in range is tradable, hence more than half overall;
    // where both prices are away from the extremes it is about tradableShare.
    expect(share).toBeLessThan(0.85);
    const mid = (d: { a: number; b: number }) => Math.min(d.a, d.b) >= 200_000;
    const central = biased.filter(mid);
    expect(central.length).toBeGreaterThan(40);
    const centralShare = central.filter(tradable).length / central.length;
    expect(centralShare).toBeGreaterThan(0.3);
    expect(centralShare).toBeLessThan(0.7);
    for (const d of biased) {
      expect(d.edge % TICK).toBe(0);
      expect(d.edge).toBeGreaterThanOrEqual(40_000);
      expect(d.edge).toBeLessThanOrEqual(100_000);
    }
    // The share follows the knob: 1 → always tradable (d = 10 ticks is, even at 0.5), 0 → never where
    // an untradable (d, a, b) exists in the range, which it does whenever both prices are ≥ 0.2.
    const always = collect({ dislocation: { tradableShare: 1 } });
    expect(always.length).toBeGreaterThan(100);
    expect(always.every(tradable)).toBe(true);
    const never = collect({ dislocation: { tradableShare: 0 } });
    expect(never.filter(mid).length).toBeGreaterThan(40);
    expect(never.filter(mid).some(tradable)).toBe(false);
    // Without the bias d is uniform over the range's ticks.
    const uniform = collect({ dislocation: { tradableShare: null } });
    const counts = new Map<number, number>();
    for (const d of uniform) counts.set(d.edge, (counts.get(d.edge) ?? 0) + 1);
    expect(counts.size).toBe(7);
    for (const n of counts.values()) expect(n).toBeGreaterThan(uniform.length / 7 / 2);
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

describe("the rival arbitrageur", () => {
  /** Per dislocation: its rival plan, when the rival acted, what it took from the dislocator. */
  function rivalRun(seed: number, minutes: number, config?: ModelConfigInput) {
    const dislocations = new Map<
      string,
      {
        startMs: number;
        a: number;
        b: number;
        sizeUp: number;
        sizeDown: number;
        plan?: { atMs: number; token: 0 | 1; size: number };
        actedAt: number[];
        tokens: string[];
        refs: string[];
      }
    >();
    const takenByRef = new Map<string, number>();
    let seenTrades = 0;
    const r = run({
      seed,
      assets: ["BTC", "ETH"],
      minutes,
      stepMs: 100,
      ...(config ? { config } : {}),
      onStep: (now, markets, bk, mdl, actions) => {
        for (const m of markets) {
          const d = mdl.activeDislocation(m.slug);
          if (!d) continue;
          const key = `${m.slug}@${d.startMs}`;
          let rec = dislocations.get(key);
          if (!rec) {
            rec = { ...d, actedAt: [], tokens: [], refs: [] };
            dislocations.set(key, rec);
          }
          if (d.rival) rec.plan = d.rival;
          for (const a of actions) {
            if (a.kind !== "place") continue;
            if (a.agent === "dislocator" && a.ref.includes(`:${m.slug}:`)) rec.refs.push(a.ref);
            if (a.agent === "rival" && a.ref.includes(`:${m.slug}:`)) {
              expect(a.type).toBe("FAK");
              expect(a.side).toBe("BUY");
              expect(a.price).toBe(a.tokenId === m.tokenIds[0] ? d.a : d.b);
              rec.actedAt.push(now);
              rec.tokens.push(a.tokenId === m.tokenIds[0] ? "up" : "down");
            }
          }
        }
        for (; seenTrades < bk.trades.length; seenTrades++) {
          const tr = bk.trades[seenTrades];
          if (tr && tr.taker === "rival") {
            expect(tr.maker).toBe("dislocator");
            takenByRef.set(tr.makerRef, (takenByRef.get(tr.makerRef) ?? 0) + tr.size);
          }
        }
      },
    });
    return { ...r, dislocations: [...dislocations.values()], takenByRef };
  }

  it("acts on about `probability` of dislocations, within the delay window, on one side only", () => {
    const { dislocations, takenByRef, book } = rivalRun(40, 60);
    expect(dislocations.length).toBeGreaterThan(80);
    let planned = 0;
    let acted = 0;
    let partlyTaken = 0;
    let up = 0;
    for (const d of dislocations) {
      expect(d.actedAt.length).toBeLessThanOrEqual(1);
      if (!d.plan) {
        expect(d.actedAt).toEqual([]);
        continue;
      }
      planned++;
      expect(d.plan.atMs - d.startMs).toBeGreaterThanOrEqual(50);
      expect(d.plan.atMs - d.startMs).toBeLessThanOrEqual(800);
      const depth = d.plan.token === 0 ? d.sizeUp : d.sizeDown;
      expect(d.plan.size).toBeLessThanOrEqual(depth);
      expect(d.plan.size).toBeGreaterThanOrEqual(Math.min(depth, Math.max(5 * ONE, 0.3 * depth - ONE)));
      if (d.plan.token === 0) up++;
      const at = d.actedAt[0];
      if (at === undefined) continue;
      acted++;
      // At the first 100 ms step at or after its reaction time.
      expect(at).toBeGreaterThanOrEqual(d.plan.atMs);
      expect(at - d.plan.atMs).toBeLessThan(100);
      expect(d.tokens).toEqual([d.plan.token === 0 ? "up" : "down"]);
      const ref = d.refs[d.plan.token];
      const other = d.refs[1 - d.plan.token];
      expect(ref).toBeDefined();
      const taken = takenByRef.get(ref as string) ?? 0;
      expect(taken).toBeLessThanOrEqual(d.plan.size);
      if (taken > 0) partlyTaken++;
      expect(takenByRef.get(other as string) ?? 0).toBe(0);
    }
    expect(planned / dislocations.length).toBeGreaterThan(0.45);
    expect(planned / dislocations.length).toBeLessThan(0.75);
    expect(up / planned).toBeGreaterThan(0.3);
    expect(up / planned).toBeLessThan(0.7);
    // Usually its side is still there when it comes (it is gone if someone was faster).
    expect(acted / planned).toBeGreaterThan(0.8);
    // A good fraction of dislocations lose part of one side to the rival.
    expect(partlyTaken / dislocations.length).toBeGreaterThan(0.35);
    expect(book.rejections).toEqual([]);
  });

  it("follows its configuration and can be switched off", () => {
    const slow = rivalRun(41, 20, { rival: { probability: 1, delayMs: [1_000, 1_500] } });
    const acted = slow.dislocations.filter((d) => d.actedAt.length > 0);
    expect(acted.length).toBeGreaterThan(0.8 * slow.dislocations.length);
    for (const d of acted) {
      const dt = (d.actedAt[0] as number) - d.startMs;
      expect(dt).toBeGreaterThanOrEqual(1_000);
      expect(dt).toBeLessThan(1_600);
    }
    const off = rivalRun(41, 20, { rival: { probability: 0 } });
    expect(off.dislocations.length).toBeGreaterThan(20);
    expect(off.dislocations.every((d) => d.plan === undefined && d.actedAt.length === 0)).toBe(true);
    expect(off.actions.some((a) => a.agent === "rival")).toBe(false);
  });

  it("is deterministic", () => {
    const a = rivalRun(42, 10);
    const b = rivalRun(42, 10);
    expect(a.actions.some((x) => x.agent === "rival")).toBe(true);
    expect(b.actions).toEqual(a.actions);
    expect(b.dislocations).toEqual(a.dislocations);
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
    expect(inv.map((x) => x.agent).sort()).toEqual([
      "dislocator",
      "informed",
      "lp",
      "noise",
      "rival",
      "sweeper",
    ]);
    for (const x of inv) expect(x.shares % ONE).toBe(0);
  });
});
