/**
 * A conflating sender for one target: the latest value wins.
 *
 * Market data arrives far faster than a workflow can (or needs to) take it, so the streaming worker
 * sends each market's book as "the newest state", not as every change:
 *
 * - at most ONE send is in flight at a time;
 * - when quiet (nothing in flight and at least `minIntervalMs` since the last send started) an offered
 *   value is sent AT ONCE, synchronously within offer(): a lone change costs no added latency;
 * - when busy, a newer offer replaces the pending value (the replaced one is counted as conflated), and the
 *   pending value goes out when the in-flight send has settled and `minIntervalMs` has passed since the last
 *   send started. Sends are therefore rate-bounded: over any span of `elapsed` ms, at most
 *   1 + elapsed / minIntervalMs sends start;
 * - a send that rejects is retried with the same value (unless a newer one is pending by then) no sooner
 *   than `retryDelayMs` after the failure, so the last value offered is always eventually sent.
 *
 * Pure: the clock and the timers come from an injected scheduler, so tests run on virtual time.
 */

/** Time and one-shot timers. Offers must be stamped with the same clock as `now()`. */
export interface ConflationScheduler {
  now(): number;
  setTimer(callback: () => void, delayMs: number): unknown;
  clearTimer(handle: unknown): void;
}

/** Date.now and Node timers. */
export const systemScheduler: ConflationScheduler = {
  now: () => Date.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface ConflatorOptions<T> {
  /** The I/O. Resolve when the value has been delivered; reject to have it retried. */
  send: (value: T) => Promise<void>;
  /** Least time between the starts of two sends. Default 100 ms. */
  minIntervalMs?: number;
  /** After a failed send, the next one starts no sooner than this. Default 1 000 ms. */
  retryDelayMs?: number;
  /** Default systemScheduler. */
  scheduler?: ConflationScheduler;
  /** Told about every failed send (the value is retried unless superseded). */
  onSendError?: (error: unknown, value: T) => void;
}

export const CONFLATOR_DEFAULTS = {
  minIntervalMs: 100,
  retryDelayMs: 1_000,
} as const;

export interface ConflatorStats {
  /** offer() calls accepted (before close()). */
  offered: number;
  /** Sends started, retries included. */
  sent: number;
  /** Sends that rejected. */
  failed: number;
  /** Failed values put back to be sent again. */
  retried: number;
  /** Values replaced by a newer offer before they were sent. */
  conflated: number;
  /** Values still pending when close() was called. */
  dropped: number;
  pending: boolean;
  inFlight: boolean;
}

/**
 * Latest-wins sender for one target. Accounting: offered + retried = sent + conflated + dropped + pending.
 */
export class Conflator<T> {
  private readonly sendFn: (value: T) => Promise<void>;
  private readonly minIntervalMs: number;
  private readonly retryDelayMs: number;
  private readonly scheduler: ConflationScheduler;
  private readonly onSendError: ((error: unknown, value: T) => void) | undefined;

  private pending: { value: T } | undefined;
  private inFlight = false;
  /** Earliest time the next send may start; -Infinity before the first. */
  private nextSendAt = Number.NEGATIVE_INFINITY;
  private timer: unknown;
  private timerArmed = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private counts = { offered: 0, sent: 0, failed: 0, retried: 0, conflated: 0, dropped: 0 };

  constructor(options: ConflatorOptions<T>) {
    this.sendFn = options.send;
    this.minIntervalMs = nonNegative(
      "minIntervalMs",
      options.minIntervalMs ?? CONFLATOR_DEFAULTS.minIntervalMs,
    );
    this.retryDelayMs = nonNegative("retryDelayMs", options.retryDelayMs ?? CONFLATOR_DEFAULTS.retryDelayMs);
    this.scheduler = options.scheduler ?? systemScheduler;
    this.onSendError = options.onSendError;
  }

  get stats(): ConflatorStats {
    return { ...this.counts, pending: this.pending !== undefined, inFlight: this.inFlight };
  }

  /** True when nothing is pending and nothing is in flight. */
  get idle(): boolean {
    return this.pending === undefined && !this.inFlight;
  }

  /**
   * Offers the newest value. Sends it now when quiet; otherwise it replaces whatever was pending. Ignored
   * after close().
   */
  offer(value: T, nowMs: number = this.scheduler.now()): void {
    if (this.closed) return;
    this.counts.offered += 1;
    if (this.pending) this.counts.conflated += 1;
    this.pending = { value };
    this.pump(nowMs);
  }

  /** Resolves once nothing is pending or in flight (at once if so already, or after close()). */
  whenIdle(): Promise<void> {
    if (this.idle || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops for good: the pending value (if any) is dropped, timers are cleared, later offers are ignored.
   * A send in flight is left to settle on its own.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.pending) this.counts.dropped += 1;
    this.pending = undefined;
    this.disarm();
    this.notifyIdle();
  }

  private pump(nowMs: number): void {
    if (this.closed || this.inFlight || !this.pending || this.timerArmed) return;
    const waitMs = this.nextSendAt - nowMs;
    if (waitMs <= 0) {
      this.start(nowMs);
      return;
    }
    this.timerArmed = true;
    this.timer = this.scheduler.setTimer(() => {
      this.timerArmed = false;
      this.timer = undefined;
      // The timer was set for the wait itself: trust it rather than a clock that may lag or stand still.
      // (Nothing can have been sent meanwhile: the timer is only armed while nothing is in flight.)
      if (!this.closed && !this.inFlight && this.pending)
        this.start(Math.max(this.scheduler.now(), this.nextSendAt));
    }, waitMs);
  }

  private start(nowMs: number): void {
    const { value } = this.pending!;
    this.pending = undefined;
    this.inFlight = true;
    this.nextSendAt = nowMs + this.minIntervalMs;
    this.counts.sent += 1;
    let sending: Promise<void>;
    try {
      sending = Promise.resolve(this.sendFn(value));
    } catch (error) {
      sending = Promise.reject(error);
    }
    sending.then(
      () => this.settled(),
      (error: unknown) => this.failed(error, value),
    );
  }

  private failed(error: unknown, value: T): void {
    this.counts.failed += 1;
    const nowMs = this.scheduler.now();
    this.nextSendAt = Math.max(this.nextSendAt, nowMs + this.retryDelayMs);
    if (!this.closed && !this.pending) {
      this.pending = { value };
      this.counts.retried += 1;
    }
    try {
      this.onSendError?.(error, value);
    } catch {
      // A reporting hook must not break the sender.
    }
    this.settled();
  }

  private settled(): void {
    this.inFlight = false;
    this.pump(this.scheduler.now());
    if (this.idle) this.notifyIdle();
  }

  private disarm(): void {
    if (this.timerArmed) this.scheduler.clearTimer(this.timer);
    this.timerArmed = false;
    this.timer = undefined;
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

function nonNegative(name: string, ms: number): number {
  if (!(ms >= 0) || !Number.isFinite(ms))
    throw new RangeError(`${name} must be a finite number >= 0, got ${ms}`);
  return ms;
}
