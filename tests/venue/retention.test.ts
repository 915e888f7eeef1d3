/**
 * What the simulation holds stays bounded however many windows go by: resolved markets' orders and
 * trades of the simulated traders are forgotten, the price paths keep only what running markets need,
 * resolved markets are forgotten after their retention, while everything of our own key stays readable.
 */
import { Simulation } from "../../src/venue/simulation";

const T0 = Date.UTC(2026, 0, 1);
const WINDOW_MS = 60_000;
const RETENTION_MS = 180_000;
const WINDOWS = 20;
const ASSETS = ["BTC", "ETH"] as const;
const TRADER = "0x00000000000000000000000000000000000000aa";
const OWNER = "our-key";

interface Figures {
  orders: number;
  trades: number;
  ownerTrades: number;
  markets: number;
  listed: number;
  pathSteps: number;
}

function run() {
  const sim = new Simulation({
    seed: 7,
    assets: ASSETS,
    windowMs: WINDOW_MS,
    resolvedRetentionMs: RETENTION_MS,
  });
  sim.engine.credit(TRADER, 1_000_000_000_000);
  const ours: string[] = [];
  // Every trade our key took part in, as taker or maker, from the engine's events.
  const ourTrades = new Set<string>();
  sim.engine.subscribe((e) => {
    if (e.kind === "trade" && (e.trade.takerOwner === OWNER || e.trade.makers.some((f) => f.owner === OWNER)))
      ourTrades.add(e.trade.id);
  });
  const perWindow: Figures[] = [];
  let n = 0;
  for (let w = 0; w < WINDOWS; w++) {
    for (let t = T0 + w * WINDOW_MS; t < T0 + (w + 1) * WINDOW_MS; t += 100) {
      sim.tick(t);
      if ((t - T0) % 5_000 !== 0) continue;
      const open = sim.markets().filter((m) => m.startMs <= t && t < m.endMs);
      for (const m of open) {
        const ask = sim.engine.bestAsk(m.tokenIds[0]);
        // A taker BUY at the ask, and a bid that rests until the market closes.
        for (const [price, type] of [
          [ask?.price, "FAK"],
          [10_000, "GTC"],
        ] as const) {
          if (price === undefined) continue;
          const id = `0x${(++n).toString(16).padStart(64, "0")}`;
          const r = sim.engine.submit(
            {
              id,
              owner: OWNER,
              account: TRADER,
              tokenId: m.tokenIds[0],
              side: "BUY",
              price,
              size: 5_000_000,
              type,
              postOnly: false,
              expiresAtMs: 0,
            },
            t,
          );
          if (r.success) ours.push(id);
        }
      }
    }
    const r = sim.engine.retained();
    perWindow.push({
      orders: r.orders,
      trades: r.trades,
      ownerTrades: r.ownerTrades,
      markets: r.markets,
      listed: sim.markets().length,
      pathSteps: ASSETS.reduce((s, a) => s + sim.model.path(a).retainedSteps, 0),
    });
  }
  return { sim, ours, ourTrades, perWindow };
}

describe("the simulation's retained state", () => {
  const { sim, ours, ourTrades, perWindow } = run();

  it("stays bounded over many windows", () => {
    const early = perWindow.slice(3, 8);
    const late = perWindow.slice(WINDOWS - 5);
    const most = (xs: Figures[], k: keyof Figures) => Math.max(...xs.map((x) => x[k]));
    // Our own orders and trades are kept (a few per window): allow for them on top.
    const ourPerWindow = Math.ceil(ours.length / WINDOWS) + 1;
    for (const k of ["orders", "trades", "ownerTrades"] as const) {
      expect(most(late, k)).toBeLessThanOrEqual(1.5 * most(early, k) + (WINDOWS - 8) * ourPerWindow);
    }
    // Markets: the running ones (current and two ahead) and those resolved within the retention, per asset.
    const bound = (3 + RETENTION_MS / WINDOW_MS + 1) * ASSETS.length;
    expect(most(late, "markets")).toBeLessThanOrEqual(bound);
    expect(most(late, "listed")).toBeLessThanOrEqual(bound);
    // Price paths: about one window of 250 ms steps per asset (the current window's start onwards).
    expect(most(late, "pathSteps")).toBeLessThanOrEqual(ASSETS.length * (WINDOW_MS / 250 + 2));
  });

  it("keeps every order and trade of our key, and recent resolutions", () => {
    expect(ours.length).toBeGreaterThan(WINDOWS * 10);
    for (const id of ours) expect(sim.engine.getOrder(id)?.owner).toBe(OWNER);
    const trades = sim.engine.trades(OWNER);
    expect(trades.length).toBeGreaterThan(WINDOWS);
    expect(new Set(trades.map((t) => t.id))).toEqual(ourTrades);
    const end = T0 + WINDOWS * WINDOW_MS;
    const settled = trades.filter((t) => t.matchTimeMs < end - 6_000);
    expect(settled.length).toBeGreaterThan(WINDOWS);
    for (const t of settled) expect(sim.engine.getTrade(t.id)?.status).toBe("CONFIRMED");

    const resolved = sim.markets().filter((m) => m.endMs <= end - 100);
    expect(resolved.length).toBeGreaterThan(0);
    for (const m of resolved) {
      expect(sim.engine.marketStatus(m.conditionId)).toBe("resolved");
      const r = sim.resolution(m)!;
      expect(r.winner).toBe(r.endPrice >= r.startPrice ? "Up" : "Down");
    }
    // The first windows are past their retention: forgotten.
    expect(sim.marketBySlug(`btc-updown-1m-${T0 / 1000}`)).toBeUndefined();
    expect(sim.markets().every((m) => m.endMs > end - 100 - RETENTION_MS - 1_000)).toBe(true);
  });
});
