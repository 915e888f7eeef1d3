import {
  type BreakerState,
  effectiveState,
  emptyRisk,
  LIMIT_MULTIPLIER_PERCENT,
  limitMultiplierPercent,
  type RiskAction,
  type RiskEvent,
  type RiskState,
  riskStep,
} from "../../../src/strategy/quoting";
import { m, P } from "./helpers";

/** Runs events in order (each at its own time) from a fresh state; returns the state and every action. */
function run(events: [number, RiskEvent][], start: RiskState = emptyRisk(0)) {
  let state = start;
  const actions: RiskAction[] = [];
  let wakeAtMs: number | undefined;
  for (const [at, e] of events) {
    const step = riskStep(state, e, at, P);
    state = step.state;
    actions.push(...step.actions);
    wakeAtMs = step.wakeAtMs;
  }
  return { state, actions, wakeAtMs };
}

const states = (s: RiskState, ...markets: string[]): BreakerState[] =>
  markets.map((id) => effectiveState(s, id));

describe("breaker: limit multipliers", () => {
  it("are 100 / 50 / 0 / 25 % for NORMAL / WARNING / HALTED / RECOVERING", () => {
    expect(LIMIT_MULTIPLIER_PERCENT).toEqual({ NORMAL: 100, WARNING: 50, HALTED: 0, RECOVERING: 25 });
  });
});

describe("breaker: drawdown", () => {
  it("a market's drawdown from its peak reaching 20 halts that market only, latched, and cancels its orders", () => {
    const r = run([
      [0, { type: "marketFeedEvent", market: "B" }],
      [0, { type: "pnl", market: "A", pnl: m("5") }],
      [1, { type: "pnl", market: "A", pnl: m("-14.99") }], // 19.99 below the peak of 5
    ]);
    expect(states(r.state, "A", "B")).toEqual(["NORMAL", "NORMAL"]);
    const halted = run([[2, { type: "pnl", market: "A", pnl: m("-15") }]], r.state); // 20 below
    expect(states(halted.state, "A", "B")).toEqual(["HALTED", "NORMAL"]);
    expect(halted.actions).toContainEqual({
      type: "cancelAll",
      market: "A",
      reason: "market drawdown limit",
    });
    expect(halted.actions.some((a) => a.type === "cancelAll" && a.market === undefined)).toBe(false);
    // Latched: the P&L coming back and a long wait do not lift it.
    const later = run(
      [
        [3, { type: "pnl", market: "A", pnl: m("10") }],
        [1_000_000, { type: "tick" }],
      ],
      halted.state,
    );
    expect(effectiveState(later.state, "A")).toBe("HALTED");
  });

  it("an operator reset lifts it through the recovery: HALTED 60 s, RECOVERING 60 s, NORMAL", () => {
    const halted = run([[0, { type: "pnl", market: "A", pnl: m("-20") }]]);
    expect(effectiveState(halted.state, "A")).toBe("HALTED");
    const reset = run([[10, { type: "reset", market: "A" }]], halted.state);
    expect(effectiveState(reset.state, "A")).toBe("HALTED");
    // Time passes with the feed alive (a quiet feed would also go stale).
    const feed = (at: number, s: RiskState) => run([[at, { type: "marketFeedEvent", market: "A" }]], s);
    const s0 = feed(59_000, reset.state);
    expect(s0.wakeAtMs).toBe(60_010); // the recovery step, before the stale deadline of 69 000
    const s1 = feed(60_009, s0.state).state;
    expect(effectiveState(s1, "A")).toBe("HALTED");
    const s2 = feed(60_010, s1).state;
    expect(effectiveState(s2, "A")).toBe("RECOVERING");
    expect(limitMultiplierPercent(s2, "A")).toBe(25);
    const s3 = feed(120_009, s2).state;
    expect(effectiveState(s3, "A")).toBe("RECOVERING");
    const s4 = feed(120_010, s3).state;
    expect(effectiveState(s4, "A")).toBe("NORMAL");
  });

  it("the sum over markets (closed ones included) reaching 100 below its peak halts everything", () => {
    const r = run([
      [0, { type: "pnl", market: "A", pnl: m("-60") }], // A alone: 60 ≥ 20 halts A
      [1, { type: "pnl", market: "C", pnl: m("-39.99") }],
      [2, { type: "marketClosed", market: "C" }], // its −39.99 stays in the total
      [3, { type: "pnl", market: "B", pnl: m("-0.01") }], // total −100.00
    ]);
    expect(r.state.global.state).toBe("HALTED");
    expect(states(r.state, "A", "B", "D")).toEqual(["HALTED", "HALTED", "HALTED"]);
    expect(r.actions).toContainEqual({ type: "cancelAll", reason: "global drawdown limit" });
    // One micro less and it would not have.
    const almost = run([
      [0, { type: "pnl", market: "A", pnl: m("-60") }],
      [1, { type: "pnl", market: "C", pnl: m("-39.99") }],
      [2, { type: "marketClosed", market: "C" }],
      [3, { type: "pnl", market: "B", pnl: m("-0.009999") }],
    ]);
    expect(almost.state.global.state).toBe("NORMAL");
  });
});

describe("breaker: stale feed", () => {
  it("is no market event AND no order-state confirmation for 10 s, not just a quiet feed", () => {
    const quiet = run([
      [0, { type: "marketFeedEvent", market: "A" }],
      [8_000, { type: "orderStateConfirmed" }],
      [10_000, { type: "tick" }], // no feed event for 10 s, but orders confirmed 2 s ago
    ]);
    expect(effectiveState(quiet.state, "A")).toBe("NORMAL");
    expect(quiet.wakeAtMs).toBe(18_000);
    const stale = run([[18_000, { type: "tick" }]], quiet.state);
    expect(effectiveState(stale.state, "A")).toBe("WARNING");
    expect(limitMultiplierPercent(stale.state, "A")).toBe(50);
    // A fresh event clears it straight back to NORMAL (only a halt recovers through RECOVERING).
    const fresh = run([[18_001, { type: "marketFeedEvent", market: "A" }]], stale.state);
    expect(effectiveState(fresh.state, "A")).toBe("NORMAL");
  });
});

describe("breaker: errors", () => {
  it("5 consecutive order errors halt the market; a success resets the count; recovery follows", () => {
    const errors = (n: number, at: number): [number, RiskEvent][] =>
      Array.from({ length: n }, () => [at, { type: "orderError", market: "A" }]);
    const four = run([...errors(4, 0), [0, { type: "orderSuccess", market: "A" }], ...errors(4, 1)]);
    expect(effectiveState(four.state, "A")).toBe("NORMAL");
    const five = run(errors(1, 2), four.state);
    expect(effectiveState(five.state, "A")).toBe("HALTED");
    expect(five.actions).toContainEqual({
      type: "cancelAll",
      market: "A",
      reason: "5 consecutive order errors",
    });
    expect(effectiveState(run([[60_001, { type: "tick" }]], five.state).state, "A")).toBe("HALTED");
    const rec = run([[60_002, { type: "tick" }]], five.state).state;
    expect(effectiveState(rec, "A")).toBe("RECOVERING");
    // Errors again while recovering: halted again.
    expect(effectiveState(run(errors(5, 60_003), rec).state, "A")).toBe("HALTED");
  });
});

describe("breaker: disconnects", () => {
  it("a market-channel drop warns that market (50 %); its return clears it", () => {
    const r = run([
      [0, { type: "marketFeedEvent", market: "B" }],
      [0, { type: "marketFeedDisconnected", market: "A" }],
    ]);
    expect(states(r.state, "A", "B")).toEqual(["WARNING", "NORMAL"]);
    expect(r.actions.some((a) => a.type === "cancelAll")).toBe(false);
    expect(effectiveState(run([[5, { type: "marketFeedConnected", market: "A" }]], r.state).state, "A")).toBe(
      "NORMAL",
    );
  });

  it("a user-channel drop halts every market and cancels all; recovery starts when it is back", () => {
    const r = run([
      [0, { type: "marketFeedEvent", market: "A" }],
      [0, { type: "marketFeedEvent", market: "B" }],
      [100, { type: "userFeedDisconnected" }],
    ]);
    expect(states(r.state, "A", "B")).toEqual(["HALTED", "HALTED"]);
    expect(r.actions).toContainEqual({ type: "cancelAll", reason: "user channel down" });
    // Still down a long time later: still halted.
    const down = run(
      [
        [500_000, { type: "marketFeedEvent", market: "A" }],
        [500_000, { type: "marketFeedEvent", market: "B" }],
      ],
      r.state,
    );
    expect(down.state.global.state).toBe("HALTED");
    const back = run([[500_000, { type: "userFeedConnected" }]], down.state);
    expect(back.state.global.state).toBe("HALTED");
    const s1 = run(
      [
        [509_000, { type: "marketFeedEvent", market: "A" }],
        [509_000, { type: "marketFeedEvent", market: "B" }],
        [560_000, { type: "tick" }],
      ],
      back.state,
    );
    expect(states(s1.state, "A", "B")).toEqual(["RECOVERING", "RECOVERING"]);
  });

  it("RECOVERING waits for a warning to clear before NORMAL", () => {
    const errors: [number, RiskEvent][] = Array.from({ length: 5 }, () => [
      0,
      { type: "orderError", market: "A" },
    ]);
    const rec = run([...errors, [60_000, { type: "marketFeedEvent", market: "A" }]]);
    expect(effectiveState(rec.state, "A")).toBe("RECOVERING");
    // The market channel drops while recovering: still RECOVERING (25 % is below WARNING's 50 %)…
    const warned = run([[60_001, { type: "marketFeedDisconnected", market: "A" }]], rec.state);
    expect(effectiveState(warned.state, "A")).toBe("RECOVERING");
    // …and still when the recovery time is up, as long as the channel is down…
    const due = run([[120_000, { type: "orderStateConfirmed" }]], warned.state);
    expect(effectiveState(due.state, "A")).toBe("RECOVERING");
    // …then NORMAL once it is back.
    const back = run([[120_001, { type: "marketFeedConnected", market: "A" }]], due.state);
    expect(effectiveState(back.state, "A")).toBe("NORMAL");
  });

  it("a market's warning and a global recovery: the worse applies", () => {
    const halted = run([
      [0, { type: "userFeedDisconnected" }],
      [0, { type: "marketFeedEvent", market: "A" }],
    ]);
    const rec = run(
      [
        [1, { type: "userFeedConnected" }],
        [60_001, { type: "marketFeedEvent", market: "A" }],
      ],
      halted.state,
    );
    const warned = run([[60_002, { type: "marketFeedDisconnected", market: "A" }]], rec.state);
    expect(warned.state.markets.A!.state).toBe("WARNING");
    expect(effectiveState(warned.state, "A")).toBe("RECOVERING");
    const done = run([[130_000, { type: "marketFeedEvent", market: "A" }]], warned.state);
    expect(done.state.global.state).toBe("NORMAL");
    expect(effectiveState(done.state, "A")).toBe("WARNING");
  });
});
