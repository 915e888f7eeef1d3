import type { Outcome } from "../../../src/session/messages";
import {
  emptyMomentum,
  type MomentumState,
  momentumActive,
  onBook,
  onTrade,
  upAxisBook,
} from "../../../src/strategy/quoting";
import { book, CENT_TICK, FINE_TICK, m, P } from "./helpers";

function trades(
  list: [Outcome, string, number][],
  tick = CENT_TICK,
): { state: MomentumState; kinds: string[] } {
  let state = emptyMomentum();
  const kinds: string[] = [];
  for (const [outcome, price, atMs] of list) {
    const step = onTrade(state, { outcome, price: m(price), atMs }, tick, P);
    state = step.state;
    kinds.push(step.trigger ? `${step.trigger.kind}@${atMs}` : "-");
  }
  return { state, kinds };
}

function books(list: [string[], string[], number][]): { state: MomentumState; kinds: string[] } {
  let state = emptyMomentum();
  const kinds: string[] = [];
  for (const [bids, asks, atMs] of list) {
    const step = onBook(state, upAxisBook(book({ upBids: bids, upAsks: asks })), atMs, P);
    state = step.state;
    kinds.push(
      step.trigger ? `${step.trigger.kind}:${"side" in step.trigger ? step.trigger.side : ""}` : "-",
    );
  }
  return { state, kinds };
}

describe("momentum: last-trade moves", () => {
  it("a move of 3 ticks within 500 ms triggers; 2 does not", () => {
    const r = trades([
      ["UP", "0.50", 0],
      ["UP", "0.52", 100],
      ["UP", "0.53", 200],
    ]);
    expect(r.kinds).toEqual(["-", "-", "trade@200"]);
  });

  it("the window is 500 ms, inclusive", () => {
    expect(
      trades([
        ["UP", "0.50", 0],
        ["UP", "0.53", 500],
      ]).kinds,
    ).toEqual(["-", "trade@500"]);
    expect(
      trades([
        ["UP", "0.50", 0],
        ["UP", "0.53", 501],
      ]).kinds,
    ).toEqual(["-", "-"]);
  });

  it("compares Up and Down trades on one axis: Down at 0.40 is Up at 0.60", () => {
    // Raw prices 0.60 → 0.40 would be a 20-tick "move"; on the Up axis it is none.
    expect(
      trades([
        ["UP", "0.60", 0],
        ["DOWN", "0.40", 100],
      ]).kinds,
    ).toEqual(["-", "-"]);
    // Down 0.37 = Up 0.63: 3 ticks from 0.60.
    expect(
      trades([
        ["UP", "0.60", 0],
        ["DOWN", "0.37", 100],
      ]).kinds,
    ).toEqual(["-", "trade@100"]);
  });

  it("counts ticks of the market's current tick (0.001 near the extremes)", () => {
    expect(
      trades(
        [
          ["UP", "0.970", 0],
          ["UP", "0.973", 100],
        ],
        FINE_TICK,
      ).kinds,
    ).toEqual(["-", "trade@100"]);
    expect(
      trades(
        [
          ["UP", "0.970", 0],
          ["UP", "0.972", 100],
        ],
        FINE_TICK,
      ).kinds,
    ).toEqual(["-", "-"]);
  });
});

describe("momentum: cooldown", () => {
  it("is active for COOLDOWN_MS (2 s) after the trigger, then expires", () => {
    const { state } = trades([
      ["UP", "0.50", 0],
      ["UP", "0.53", 200],
    ]);
    expect(momentumActive(state, 200)).toBe(true);
    expect(momentumActive(state, 2_199)).toBe(true);
    expect(momentumActive(state, 2_200)).toBe(false);
    expect(momentumActive(emptyMomentum(), 0)).toBe(false);
  });

  it("a later trigger extends it", () => {
    const { state } = trades([
      ["UP", "0.50", 0],
      ["UP", "0.53", 200], // until 2200
      ["UP", "0.50", 600], // 3 ticks from 0.53 (at 200, within 500 ms): until 2600
    ]);
    expect(momentumActive(state, 2_599)).toBe(true);
    expect(momentumActive(state, 2_600)).toBe(false);
  });
});

describe("momentum: the book", () => {
  it("a sweep: half the bid depth near the top gone between two books", () => {
    // Bids within 5 ticks of 0.48: 100 + 100 = 200. Next: 0.48 taken out, 0.47 left: 100 ≤ 0.5 × 200.
    expect(
      books([
        [["0.48x100", "0.47x100"], ["0.52x200"], 0],
        [["0.47x100"], ["0.52x200"], 100],
      ]).kinds,
    ).toEqual(["-", "sweep:bids"]);
    // 101 left is not half gone.
    expect(
      books([
        [["0.48x100", "0.47x100"], ["0.52x200"], 0],
        [["0.48x1", "0.47x100"], ["0.52x200"], 100],
      ]).kinds,
    ).toEqual(["-", "-"]);
  });

  it("measures the depth at the earlier prices: a lower new best with fresh levels below the band still counts", () => {
    // After the sweep the best bid is 0.42, more than 5 ticks below 0.48: none of it is within 0.43–0.48.
    expect(
      books([
        [["0.48x200"], ["0.52x200"], 0],
        [["0.42x500"], ["0.52x200"], 100],
      ]).kinds,
    ).toEqual(["-", "sweep:bids"]);
  });

  it("a book older than the window is no reference for a sweep", () => {
    expect(
      books([
        [["0.48x100", "0.47x100"], ["0.52x200"], 0],
        [["0.47x100"], ["0.52x200"], 501],
      ]).kinds,
    ).toEqual(["-", "-"]);
  });

  it("one-sided thinning: a side down to half its peak over the window, step by step, while the other holds", () => {
    // Asks 200 → 150 → 100 (each step under half: no sweep), bids steady.
    expect(
      books([
        [["0.48x200"], ["0.52x200"], 0],
        [["0.48x200"], ["0.52x150"], 100],
        [["0.48x200"], ["0.52x100"], 200],
      ]).kinds,
    ).toEqual(["-", "-", "thinning:asks"]);
    // Both sides thinning together is a withdrawal, not momentum.
    expect(
      books([
        [["0.48x200"], ["0.52x200"], 0],
        [["0.48x150"], ["0.52x150"], 100],
        [["0.48x100"], ["0.52x100"], 200],
      ]).kinds,
    ).toEqual(["-", "-", "-"]);
  });
});
