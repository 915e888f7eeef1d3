import fc from "fast-check";
import { type ConflationScheduler, Conflator } from "../../src/streaming/conflation";

/** Virtual time: timers fire only when the test advances the clock. */
class VirtualScheduler implements ConflationScheduler {
  t = 0;
  private nextId = 1;
  private timers: { id: number; at: number; callback: () => void }[] = [];

  now(): number {
    return this.t;
  }

  setTimer(callback: () => void, delayMs: number): unknown {
    const id = this.nextId++;
    this.timers.push({ id, at: this.t + Math.max(0, delayMs), callback });
    return id;
  }

  clearTimer(handle: unknown): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Runs every timer due up to `target`, in time order, letting promise callbacks settle after each. */
  async advanceTo(target: number): Promise<void> {
    await settle();
    for (;;) {
      const due = this.timers
        .filter((timer) => timer.at <= target)
        .sort((a, b) => a.at - b.at || a.id - b.id);
      const first = due[0];
      if (!first) break;
      this.timers = this.timers.filter((timer) => timer !== first);
      this.t = Math.max(this.t, first.at);
      first.callback();
      await settle();
    }
    this.t = Math.max(this.t, target);
    await settle();
  }

  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.t + ms);
  }
}

/** Lets every pending promise callback run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

interface SendRecord<T> {
  value: T;
  startedAt: number;
  endedAt?: number;
  ok?: boolean;
}

/** A send whose completion takes `durationFor(n)` virtual ms and fails when `failFor(n)` (n: 0-based send). */
function harness<T>(
  options: {
    minIntervalMs?: number;
    retryDelayMs?: number;
    durationFor?: (n: number) => number;
    failFor?: (n: number) => boolean;
  } = {},
) {
  const scheduler = new VirtualScheduler();
  const sends: SendRecord<T>[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const conflator = new Conflator<T>({
    scheduler,
    minIntervalMs: options.minIntervalMs,
    retryDelayMs: options.retryDelayMs,
    send: (value) => {
      const n = sends.length;
      const record: SendRecord<T> = { value, startedAt: scheduler.now() };
      sends.push(record);
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      return new Promise<void>((resolve, reject) => {
        scheduler.setTimer(() => {
          inFlight -= 1;
          record.endedAt = scheduler.now();
          record.ok = !options.failFor?.(n);
          if (record.ok) resolve();
          else reject(new Error(`send ${n} failed`));
        }, options.durationFor?.(n) ?? 0);
      });
    },
  });
  return { scheduler, sends, conflator, maxInFlight: () => maxInFlight };
}

describe("Conflator", () => {
  it("sends at once when quiet, synchronously within offer()", () => {
    const { conflator, sends } = harness<string>({ minIntervalMs: 100, durationFor: () => 10 });
    conflator.offer("a", 0);
    expect(sends.map((s) => s.value)).toEqual(["a"]);
    expect(conflator.stats).toMatchObject({
      offered: 1,
      sent: 1,
      conflated: 0,
      inFlight: true,
      pending: false,
    });
  });

  it("keeps only the latest value while busy and sends it when the send settles and the interval allows", async () => {
    const { conflator, sends, scheduler } = harness<string>({ minIntervalMs: 100, durationFor: () => 30 });
    conflator.offer("a", 0);
    await scheduler.advanceTo(10);
    conflator.offer("b", 10);
    conflator.offer("c", 10);
    await scheduler.advanceTo(40);
    conflator.offer("d", 40);
    // In flight until 30, but the interval holds the next send until 100.
    await scheduler.advanceTo(99);
    expect(sends.map((s) => s.value)).toEqual(["a"]);
    await scheduler.advanceTo(100);
    expect(sends.map((s) => [s.value, s.startedAt])).toEqual([
      ["a", 0],
      ["d", 100],
    ]);
    expect(conflator.stats).toMatchObject({ offered: 4, sent: 2, conflated: 2, pending: false });
  });

  it("waits for a slow send to complete: never two in flight", async () => {
    const { conflator, sends, scheduler, maxInFlight } = harness<number>({
      minIntervalMs: 10,
      durationFor: (n) => (n === 0 ? 500 : 1),
    });
    conflator.offer(1, 0);
    for (let t = 20; t <= 400; t += 20) {
      await scheduler.advanceTo(t);
      conflator.offer(t, t);
    }
    await scheduler.advanceTo(499);
    expect(sends).toHaveLength(1);
    await scheduler.advanceTo(500);
    expect(sends.map((s) => [s.value, s.startedAt])).toEqual([
      [1, 0],
      [400, 500],
    ]);
    expect(maxInFlight()).toBe(1);
  });

  it("is quiet again once the interval has passed after the last send", async () => {
    const { conflator, sends, scheduler } = harness<string>({ minIntervalMs: 100, durationFor: () => 5 });
    conflator.offer("a", 0);
    await scheduler.advanceTo(250);
    conflator.offer("b", 250);
    expect(sends.map((s) => [s.value, s.startedAt])).toEqual([
      ["a", 0],
      ["b", 250],
    ]);
  });

  it("retries a failed value after the retry delay unless a newer one has come", async () => {
    const { conflator, sends, scheduler } = harness<string>({
      minIntervalMs: 50,
      retryDelayMs: 1_000,
      durationFor: () => 10,
      failFor: (n) => n < 2,
    });
    conflator.offer("a", 0);
    await scheduler.advanceTo(1_009);
    expect(sends.map((s) => s.value)).toEqual(["a"]);
    await scheduler.advanceTo(1_010);
    expect(sends.map((s) => [s.value, s.startedAt])).toEqual([
      ["a", 0],
      ["a", 1_010],
    ]);
    // The retry fails too, but a newer value is pending by then: it goes instead.
    conflator.offer("b", 1_015);
    await scheduler.advanceTo(5_000);
    expect(sends.map((s) => [s.value, s.startedAt, s.ok])).toEqual([
      ["a", 0, false],
      ["a", 1_010, false],
      ["b", 2_020, true],
    ]);
    expect(conflator.stats).toMatchObject({ offered: 2, sent: 3, failed: 2, retried: 1, conflated: 0 });
  });

  it("treats a send that throws synchronously as a failed send", async () => {
    const scheduler = new VirtualScheduler();
    const errors: unknown[] = [];
    let calls = 0;
    const conflator = new Conflator<string>({
      scheduler,
      minIntervalMs: 10,
      retryDelayMs: 20,
      send: () => {
        calls += 1;
        if (calls === 1) throw new Error("boom");
        return Promise.resolve();
      },
      onSendError: (error) => errors.push(error),
    });
    conflator.offer("a", 0);
    await scheduler.advanceTo(100);
    expect(calls).toBe(2);
    expect(errors).toHaveLength(1);
    expect(conflator.idle).toBe(true);
  });

  it("whenIdle resolves once everything offered has gone out; close drops what is pending", async () => {
    const { conflator, sends, scheduler } = harness<string>({ minIntervalMs: 100, durationFor: () => 10 });
    conflator.offer("a", 0);
    conflator.offer("b", 0);
    let idle = false;
    void conflator.whenIdle().then(() => {
      idle = true;
    });
    await scheduler.advanceTo(50);
    expect(idle).toBe(false);
    await scheduler.advanceTo(110);
    expect(idle).toBe(true);
    expect(sends.map((s) => s.value)).toEqual(["a", "b"]);

    await scheduler.advanceTo(250);
    conflator.offer("c", 250);
    conflator.offer("d", 250);
    conflator.close();
    conflator.offer("e", 251);
    await scheduler.advanceTo(1_000);
    expect(sends.map((s) => s.value)).toEqual(["a", "b", "c"]);
    expect(conflator.stats).toMatchObject({ offered: 4, sent: 3, conflated: 0, dropped: 1, pending: false });
    expect(scheduler.pendingTimers).toBe(0);
  });

  it("rejects a negative interval", () => {
    expect(() => new Conflator({ send: async () => {}, minIntervalMs: -1 })).toThrow(RangeError);
  });

  it("property: one send in flight at most, sends rate-bounded, immediate when quiet, the last value always sent", async () => {
    const scenario = fc.record({
      minIntervalMs: fc.integer({ min: 1, max: 200 }),
      retryDelayMs: fc.integer({ min: 0, max: 500 }),
      offers: fc.array(fc.record({ gapMs: fc.integer({ min: 0, max: 300 }) }), {
        minLength: 1,
        maxLength: 40,
      }),
      durations: fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 20 }),
      failures: fc.array(fc.boolean(), { maxLength: 20 }),
    });
    await fc.assert(
      fc.asyncProperty(scenario, async ({ minIntervalMs, retryDelayMs, offers, durations, failures }) => {
        const { conflator, sends, scheduler, maxInFlight } = harness<number>({
          minIntervalMs,
          retryDelayMs,
          durationFor: (n) => durations[n % durations.length]!,
          // Failures stop after the first few sends, so that delivery can eventually succeed.
          failFor: (n) => failures[n] ?? false,
        });
        for (const [i, { gapMs }] of offers.entries()) {
          await scheduler.advance(gapMs);
          const now = scheduler.now();
          const last = sends[sends.length - 1];
          const lastStart = last?.startedAt ?? Number.NEGATIVE_INFINITY;
          const inFlight = last !== undefined && last.endedAt === undefined;
          const lastFailedAt = sends
            .filter((s) => s.ok === false)
            .reduce((m, s) => Math.max(m, s.endedAt!), -1e9);
          const quiet =
            !inFlight &&
            !conflator.stats.pending &&
            now >= lastStart + minIntervalMs &&
            now >= lastFailedAt + retryDelayMs;
          const before = sends.length;
          conflator.offer(i, now);
          if (quiet) {
            // Sent at once, synchronously.
            expect(sends.length).toBe(before + 1);
            expect(sends[before]!.value).toBe(i);
          }
        }
        await scheduler.advance(1_000_000);

        expect(maxInFlight()).toBeLessThanOrEqual(1);
        // Sends never overlap and are spaced by the interval, so sends <= 1 + elapsed / minInterval.
        for (let k = 1; k < sends.length; k++) {
          expect(sends[k]!.startedAt).toBeGreaterThanOrEqual(sends[k - 1]!.endedAt!);
          expect(sends[k]!.startedAt - sends[k - 1]!.startedAt).toBeGreaterThanOrEqual(minIntervalMs);
        }
        const elapsed = sends[sends.length - 1]!.startedAt - sends[0]!.startedAt;
        expect(sends.length).toBeLessThanOrEqual(1 + elapsed / minIntervalMs);
        // The last value offered is the last value sent, and it got through.
        const final = sends[sends.length - 1]!;
        expect(final.value).toBe(offers.length - 1);
        expect(final.ok).toBe(true);
        // Values go out in offer order (a retry repeats, never goes back).
        for (let k = 1; k < sends.length; k++) {
          expect(sends[k]!.value).toBeGreaterThanOrEqual(sends[k - 1]!.value);
        }
        const s = conflator.stats;
        expect(s.offered + s.retried).toBe(s.sent + s.conflated + s.dropped + (s.pending ? 1 : 0));
        expect(s.sent).toBe(sends.length);
        expect(conflator.idle).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
