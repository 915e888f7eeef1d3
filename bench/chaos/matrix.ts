/**
 * What a chaos trial kills, and when.
 *
 * Targets: one process of the deployment — the workflow worker, the streaming worker, the Temporal
 * server — or all three at once ("stack"). The venue and the database stay up: they are other people's
 * systems (a venue, a managed database) and outlive ours.
 *
 * Points: the moments of an order's and a position's life that matter.
 * - before-post: the dislocation has just appeared; no order of ours has reached the venue yet.
 * - held: the venue holds one of our POST /order requests (received, not yet handled): an entry leg or the
 *   rebalancing SELL.
 * - post-fill: the venue has answered our entry orders `delayed` (taker delay) and not matched them yet.
 * - fills: our first trade has just happened; its fills are on their way (user channel, signals, the
 *   database) and its status moves MATCHED → MINED → CONFIRMED.
 * - continue-as-new: the session is about to continue as new (its history is at the server's suggestion
 *   threshold, the book churning).
 * - resolution: the window has ended; the position is settling its orders and resolving.
 */
export const KILL_TARGETS = ["worker", "streamer", "temporal", "stack"] as const;
export type KillTarget = (typeof KILL_TARGETS)[number];

export const KILL_POINTS = [
  "before-post",
  "held",
  "post-fill",
  "fills",
  "continue-as-new",
  "resolution",
] as const;
export type KillPoint = (typeof KILL_POINTS)[number];

/**
 * Fault soaks: no kill; one venue fault for the whole window (from the session's first book to just after
 * the window's end), under the same invariants, and the local book (what the session last received)
 * compared with the venue's once the book has been quiet (after the resyncs the fault caused).
 */
export const FAULTS = {
  /** 20 % of CLOB requests answered 500, 425, 429 (with Retry-After: 1) or 503. */
  "http-errors": { httpErrorRate: 0.2, httpErrorStatuses: [500, 425, 429, 503], retryAfterSec: 1 },
  /** 300 ms before every CLOB request is handled. */
  latency: { latencyMs: 300 },
  /** Every WebSocket connection closed every 5 s. */
  "ws-drop": { dropWsEveryMs: 5_000 },
  /**
   * The market channel silent (connections open, PING answered; what it would have carried is lost): 6 s in
   * every 9, from the open position to the window's end (silent for the whole window, nothing would trade).
   */
  "stalled-feed": { stallFeed: true },
  /** 20 % of frames sent twice, 20 % held back and sent after the next. */
  "dup-reorder": { duplicateFrameRate: 0.2, reorderFrameRate: 0.2 },
  /** 30 % of trades go MATCHED → FAILED (the venue's tradeFailureRate, set at its start). */
  "failing-trades": {},
} as const;
export type FaultName = keyof typeof FAULTS;
export const FAULT_NAMES = Object.keys(FAULTS) as FaultName[];
export const FAILING_TRADE_RATE = 0.3;

/**
 * The scale-out trial: the production topology as separate processes — two workflow workers, two streaming
 * workers and the scheduler (`ballast worker|streamer|scheduler`) — on four assets' markets. When our first
 * trade's fills are on their way (as at the `fills` point), the streaming worker hosting that market's feed
 * is killed with SIGKILL and not started again: every feed it hosted must resume on the other streaming
 * worker within the feed's heartbeat timeout and retry interval, with nothing lost or done twice.
 */
export const SCALE_OUT = {
  point: "scale-out",
  target: "streamer",
  assets: ["BTC", "ETH", "SOL", "XRP"],
  workers: 2,
  streamers: 2,
} as const;

export type TrialSpec =
  | { index: number; point: "scale-out"; target: "streamer"; fault?: undefined; seed: number }
  | {
      /** 1-based, in the order run. */
      index: number;
      target: KillTarget;
      point: KillPoint;
      fault?: undefined;
      /** Seeds the venue and every draw of the trial (the kill's moment, the downtime). */
      seed: number;
    }
  | { index: number; point: "soak"; target: FaultName; fault: FaultName; seed: number };

/**
 * `trials` trials cycling through every (point, target) cell, points outermost, then every fault soak, so
 * that any 30 consecutive trials cover the whole matrix (with `points`, `targets`, `faults` narrowing it:
 * given points or targets without faults, no soaks; given faults alone, only soaks).
 */
export function schedule(
  trials: number,
  options: {
    points?: readonly KillPoint[];
    targets?: readonly KillTarget[];
    faults?: readonly FaultName[];
    seed?: number;
  } = {},
): TrialSpec[] {
  const narrowed = Boolean(options.points?.length || options.targets?.length || options.faults?.length);
  const points = options.points?.length
    ? options.points
    : narrowed && !options.targets?.length
      ? []
      : KILL_POINTS;
  const targets = options.targets?.length ? options.targets : KILL_TARGETS;
  const faults = options.faults?.length ? options.faults : narrowed ? [] : FAULT_NAMES;
  const cells: (
    | { point: KillPoint; target: KillTarget; fault?: undefined }
    | { point: "soak"; target: FaultName; fault: FaultName }
  )[] = [
    ...points.flatMap((point) => targets.map((target) => ({ point, target }))),
    ...faults.map((fault) => ({ point: "soak" as const, target: fault, fault })),
  ];
  if (cells.length === 0) throw new Error("nothing to run: no kill point, target or fault selected");
  const base = options.seed ?? 1;
  return Array.from({ length: trials }, (_, i) => ({
    index: i + 1,
    ...cells[i % cells.length]!,
    seed: base + i,
  }));
}

/** `trials` scale-out trials (SCALE_OUT), seeds from `seed`. */
export function scaleOutSchedule(trials: number, seed = 1): TrialSpec[] {
  return Array.from({ length: trials }, (_, i) => ({
    index: i + 1,
    point: SCALE_OUT.point,
    target: SCALE_OUT.target,
    seed: seed + i,
  }));
}
