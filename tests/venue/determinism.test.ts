/**
 * The same seed and the same inbound orders at the same times give the same event stream.
 */
import { createHash } from "node:crypto";
import { Simulation } from "../../src/venue/simulation";
import type { VenueEvent } from "../../src/venue/types";

const T0 = Date.UTC(2026, 0, 1);
const TRADER = "0x00000000000000000000000000000000000000aa";

/** Runs 3 simulated minutes at 100 ms steps, with our own orders every 7 s; returns the stream's hash. */
function run(seed: number): { hash: string; events: number; trades: number } {
  const sim = new Simulation({ seed, assets: ["BTC", "ETH"], windowMs: 60_000 });
  const hash = createHash("sha256");
  let events = 0;
  let trades = 0;
  sim.engine.subscribe((e: VenueEvent) => {
    hash.update(JSON.stringify(e));
    events += 1;
    if (e.kind === "trade") trades += 1;
  });
  sim.engine.credit(TRADER, 1_000_000_000);
  let n = 0;
  for (let t = T0; t <= T0 + 180_000; t += 100) {
    sim.tick(t);
    if ((t - T0) % 7_000 === 0) {
      const open = sim.markets().find((m) => m.startMs <= t && t < m.endMs);
      const ask = open && sim.engine.bestAsk(open.tokenIds[0]);
      if (open && ask) {
        sim.engine.submit(
          {
            id: `0x${(++n).toString(16).padStart(64, "0")}`,
            owner: "our-key",
            account: TRADER,
            tokenId: open.tokenIds[0],
            side: "BUY",
            price: ask.price,
            size: 5_000_000,
            type: "FAK",
            postOnly: false,
            expiresAtMs: 0,
          },
          t,
        );
      }
    }
  }
  return { hash: hash.digest("hex"), events, trades };
}

describe("determinism of the simulator", () => {
  it("gives the same event stream for the same seed and inbound orders, another for another seed", () => {
    const a = run(11);
    const b = run(11);
    const c = run(12);
    expect(a.events).toBeGreaterThan(1_000);
    expect(a.trades).toBeGreaterThan(10);
    expect(b).toEqual(a);
    expect(c.hash).not.toBe(a.hash);
  });
});
