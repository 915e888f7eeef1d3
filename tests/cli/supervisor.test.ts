/**
 * The supervision rules of `ballast start` (src/cli/supervisor.ts) with fake children: restart with
 * backoff, give up when a child keeps dying, stop without restarting, stop in order. And the child
 * processes for real: a signalled child is seen as such, a group kill leaves nothing behind.
 */
import { existsSync, readFileSync } from "node:fs";
import {
  describeExit,
  type ExitInfo,
  OrderedShutdown,
  type RestartPolicy,
  restartDecision,
  type Supervisable,
  SupervisedProcess,
  type SupervisorEvent,
  spawnChild,
} from "../../src/cli/supervisor";

const POLICY: RestartPolicy = { initialDelayMs: 1_000, maxDelayMs: 5_000, maxDeaths: 3, periodMs: 60_000 };

/** A child the test ends by hand; it records the signals it is sent. */
class FakeChild implements Supervisable {
  static nextPid = 100;
  readonly pid = FakeChild.nextPid++;
  readonly signals: NodeJS.Signals[] = [];
  readonly exited: Promise<ExitInfo>;
  private end!: (exit: ExitInfo) => void;
  constructor(private readonly onSignal?: (signal: NodeJS.Signals, child: FakeChild) => void) {
    this.exited = new Promise((resolve) => {
      this.end = resolve;
    });
  }
  die(exit: ExitInfo): void {
    this.end(exit);
  }
  kill(signal: NodeJS.Signals): void {
    this.signals.push(signal);
    this.onSignal?.(signal, this);
  }
}

/** Lets every pending promise callback run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

function harness(
  options: { policy?: RestartPolicy; onSignal?: (s: NodeJS.Signals, c: FakeChild) => void } = {},
) {
  let now = 0;
  const children: FakeChild[] = [];
  const events: SupervisorEvent[] = [];
  const sleeps: number[] = [];
  let wake: (() => void) | undefined;
  let failStarts = 0;
  const supervisor = new SupervisedProcess({
    name: "workflow worker",
    policy: options.policy ?? POLICY,
    now: () => now,
    // The backoff is recorded; the test decides when it has passed.
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        sleeps.push(ms);
        wake = () => {
          now += ms;
          resolve();
        };
        signal.addEventListener("abort", () => resolve(), { once: true });
      }),
    start: async () => {
      if (failStarts > 0) {
        failStarts--;
        throw new Error("cannot connect");
      }
      const child = new FakeChild(options.onSignal);
      children.push(child);
      return child;
    },
    onEvent: (e) => events.push(e),
  });
  return {
    supervisor,
    children,
    events,
    sleeps,
    advance: (ms: number) => {
      now += ms;
    },
    failNextStarts: (n: number) => {
      failStarts = n;
    },
    /** Ends the backoff wait in progress. */
    async wakeUp() {
      const w = wake;
      wake = undefined;
      w?.();
      await settle();
    },
  };
}

describe("describeExit", () => {
  it("names the signal of a signalled child and the code of one that exited", () => {
    expect(describeExit({ code: null, signal: "SIGKILL" })).toBe("was killed by SIGKILL");
    expect(describeExit({ code: 3, signal: null })).toBe("exited with code 3");
    expect(describeExit({ code: 1, signal: null, detail: "bind: address in use" })).toBe(
      "exited with code 1: bind: address in use",
    );
  });
});

describe("restartDecision", () => {
  it("doubles the delay with each death within the period, up to the maximum", () => {
    // Deaths at 0, 10, 20, 30 s: 1, 2, 4 s, then more than 3 → give up.
    expect(restartDecision([0], 0, POLICY)).toEqual({ giveUp: false, deaths: 1, delayMs: 1_000 });
    expect(restartDecision([0, 10_000], 10_000, POLICY)).toEqual({
      giveUp: false,
      deaths: 2,
      delayMs: 2_000,
    });
    expect(restartDecision([0, 10_000, 20_000], 20_000, POLICY)).toEqual({
      giveUp: false,
      deaths: 3,
      delayMs: 4_000,
    });
    expect(restartDecision([0, 10_000, 20_000, 30_000], 30_000, POLICY)).toEqual({ giveUp: true, deaths: 4 });
    const patient = { ...POLICY, maxDeaths: 10 };
    expect(restartDecision([0, 1, 2, 3, 4], 4, patient)).toEqual({
      giveUp: false,
      deaths: 5,
      delayMs: 5_000,
    });
  });

  it("forgets deaths older than the period: a child that dies now and then is always restarted", () => {
    // One death a minute, forever: never more than one within 60 s.
    const deaths = [0, 60_000, 120_000, 180_000, 240_000];
    expect(restartDecision(deaths, 240_000, POLICY)).toEqual({ giveUp: false, deaths: 1, delayMs: 1_000 });
    // Four deaths, but the first is 60 s old: three count.
    expect(restartDecision([0, 30_000, 40_000, 60_000], 60_000, POLICY)).toEqual({
      giveUp: false,
      deaths: 3,
      delayMs: 4_000,
    });
  });
});

describe("SupervisedProcess", () => {
  it("restarts a child killed by a signal (no exit code) after the backoff, saying which and how", async () => {
    const h = harness();
    await h.supervisor.start();
    const first = h.children[0]!;
    first.die({ code: null, signal: "SIGKILL" });
    await settle();
    expect(h.events).toEqual([
      {
        type: "died",
        name: "workflow worker",
        pid: first.pid,
        exit: { code: null, signal: "SIGKILL" },
        deaths: 1,
        restartInMs: 1_000,
      },
    ]);
    // Not before the backoff has passed.
    expect(h.children).toHaveLength(1);
    await h.wakeUp();
    expect(h.children).toHaveLength(2);
    expect(h.events[1]).toEqual({ type: "restarted", name: "workflow worker", pid: h.children[1]!.pid });
    expect(h.supervisor.current).toBe(h.children[1]);
  });

  it("backs off longer with each death in a row and gives up after more than maxDeaths within the period", async () => {
    const h = harness();
    await h.supervisor.start();
    for (let i = 0; i < 3; i++) {
      h.children[i]!.die({ code: 1, signal: null });
      await settle();
      await h.wakeUp();
    }
    expect(h.sleeps).toEqual([1_000, 2_000, 4_000]);
    expect(h.children).toHaveLength(4);
    let gaveUp: Error | undefined;
    void h.supervisor.failed.then((e) => {
      gaveUp = e;
    });
    h.children[3]!.die({ code: 3, signal: null });
    await settle();
    expect(gaveUp?.message).toBe("the workflow worker died 4 times within 1 min (last: exited with code 3)");
    expect(h.events.at(-1)).toMatchObject({ type: "gave-up", deaths: 4 });
    // No fifth start.
    await h.wakeUp();
    expect(h.children).toHaveLength(4);
  });

  it("keeps restarting a child that dies less often than the rule allows", async () => {
    const h = harness();
    await h.supervisor.start();
    for (let i = 0; i < 8; i++) {
      h.advance(61_000);
      h.children[i]!.die({ code: 1, signal: null });
      await settle();
      await h.wakeUp();
    }
    expect(h.children).toHaveLength(9);
    expect(h.sleeps).toEqual(Array(8).fill(1_000));
  });

  it("counts a restart that cannot start as a death, and tries again", async () => {
    const h = harness();
    await h.supervisor.start();
    h.failNextStarts(1);
    h.children[0]!.die({ code: 1, signal: null });
    await settle();
    await h.wakeUp();
    expect(h.events.map((e) => e.type)).toEqual(["died", "start-failed"]);
    expect(h.events[1]).toMatchObject({ error: new Error("cannot connect"), restartInMs: 2_000 });
    await h.wakeUp();
    expect(h.children).toHaveLength(2);
    expect(h.events.map((e) => e.type)).toEqual(["died", "start-failed", "restarted"]);
  });

  it("stop: SIGTERM, no restart when the child then exits", async () => {
    const h = harness({ onSignal: (s, c) => s === "SIGTERM" && c.die({ code: 0, signal: null }) });
    await h.supervisor.start();
    await expect(h.supervisor.stop({ timeoutMs: 1_000 })).resolves.toEqual({ code: 0, signal: null });
    expect(h.children[0]!.signals).toEqual(["SIGTERM"]);
    await settle();
    await h.wakeUp();
    expect(h.children).toHaveLength(1);
    expect(h.events).toEqual([]);
  });

  it("stop: SIGKILL when the child does not end within the timeout", async () => {
    const h = harness({ onSignal: (s, c) => s === "SIGKILL" && c.die({ code: null, signal: "SIGKILL" }) });
    await h.supervisor.start();
    await expect(h.supervisor.stop({ timeoutMs: 50 })).resolves.toEqual({ code: null, signal: "SIGKILL" });
    expect(h.children[0]!.signals).toEqual(["SIGTERM", "SIGKILL"]);
  });

  it("stop during the backoff cancels the restart", async () => {
    const h = harness();
    await h.supervisor.start();
    h.children[0]!.die({ code: null, signal: "SIGSEGV" });
    await settle();
    await expect(h.supervisor.stop({ timeoutMs: 1_000 })).resolves.toBeUndefined();
    await h.wakeUp();
    expect(h.children).toHaveLength(1);
  });

  it("noMoreRestarts: a child that dies afterwards stays down", async () => {
    const h = harness();
    await h.supervisor.start();
    h.supervisor.noMoreRestarts();
    h.children[0]!.die({ code: 1, signal: null });
    await settle();
    expect(h.events).toEqual([]);
    expect(h.sleeps).toEqual([]);
  });
});

describe("OrderedShutdown", () => {
  it("runs the phases in their order whatever the order of registration, one phase's steps together", async () => {
    const log: string[] = [];
    const step = (name: string, ms: number) => async () => {
      log.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`end ${name}`);
    };
    const shutdown = new OrderedShutdown(["workers", "venue", "database", "temporal"] as const, {
      stopped: (s) => log.push(`stopped ${s.label}`),
    });
    shutdown.add("temporal", "temporal", step("temporal", 1));
    shutdown.add("database", "database", step("database", 1));
    shutdown.add("workers", "worker", step("worker", 30));
    shutdown.add("venue", "venue", step("venue", 1));
    shutdown.add("workers", "streamer", step("streamer", 10));
    await Promise.all([shutdown.run(), shutdown.run()]);
    expect(log).toEqual([
      "start worker",
      "start streamer",
      "end streamer",
      "stopped streamer",
      "end worker",
      "stopped worker",
      "start venue",
      "end venue",
      "stopped venue",
      "start database",
      "end database",
      "stopped database",
      "start temporal",
      "end temporal",
      "stopped temporal",
    ]);
  });

  it("reports a failing step and still runs the later phases", async () => {
    const log: string[] = [];
    const shutdown = new OrderedShutdown(["workers", "temporal"] as const, {
      stopped: (s) => log.push(`stopped ${s.label}`),
      failed: (s, err) => log.push(`failed ${s.label}: ${err.message}`),
    });
    shutdown.add("workers", "worker", async () => {
      throw new Error("did not drain");
    });
    shutdown.add("temporal", "temporal", async () => undefined);
    await shutdown.run();
    expect(log).toEqual(["failed worker: did not drain", "stopped temporal"]);
  });
});

describe("spawnChild (real processes)", () => {
  const alive = (pid: number) => {
    try {
      // A zombie has ended too.
      return !readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z");
    } catch {
      return false;
    }
  };

  it("sees a child killed by a signal as such", async () => {
    const child = spawnChild(process.execPath, ["-e", "setInterval(() => {}, 1000)"]);
    child.kill("SIGKILL");
    await expect(child.exited).resolves.toEqual({ code: null, signal: "SIGKILL" });
  });

  it("reports a command that cannot be spawned as ended", async () => {
    const child = spawnChild("/nonexistent/ballast-command", []);
    await expect(child.exited).resolves.toEqual({ code: null, signal: null });
  });

  it("kills the child's whole process group: its own children go with it", async () => {
    const lines: string[] = [];
    const child = spawnChild("sh", ["-c", "sleep 300 & echo $!; wait"], { onLine: (l) => lines.push(l) });
    for (let i = 0; i < 100 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const grandchild = Number(lines[0]);
    expect(alive(grandchild)).toBe(true);
    child.kill("SIGTERM");
    await child.exited;
    for (let i = 0; i < 100 && alive(grandchild); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(grandchild)).toBe(false);
    expect(existsSync(`/proc/${child.pid}/cmdline`) && alive(child.pid!)).toBe(false);
  });
});
