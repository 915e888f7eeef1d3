/**
 * One chaos trial: a scripted market on a fresh venue simulator, the workers as child processes on a
 * fresh database and their own Temporal namespace, one process killed with SIGKILL at one moment that
 * matters (bench/chaos/matrix.ts) and started again, the window let resolve, and the invariants checked
 * from the venue's own records (bench/chaos/invariants.ts).
 *
 * The market (no simulated traders; a maker and a rival act through the venue's engine):
 *   1. a dislocation: Up asks 0.45 × 40 and Down asks 0.47 × 40 → a position opens, two FAK BUYs;
 *   2. the moment our first leg trades, a rival takes 28 of the other outcome's 40 shares → a partial
 *      fill, an imbalanced position (post-fill trials instead have the maker pull 28 of them while our
 *      legs wait out the venue's taker delay);
 *   3. once our trades are MINED (shares sellable), the maker bids for the excess outcome well above its
 *      entry → the position SELLs the excess (continue-as-new trials first churn a far bid until the
 *      session continues as new);
 *   4. the window ends and resolves.
 * Each step waits for what the venue sees, up to a deadline in the window; a step that does not happen
 * (the kill cost too much time) ends the story early, and the invariants are checked all the same.
 *
 * A fault soak (spec.fault) runs the same story with no kill and one venue fault on from the session's
 * first book to just after the window's end (bench/chaos/matrix.ts FAULTS). Every trial also compares, at
 * two quiet moments (after the entry, before the end), the book the session last received with the
 * venue's book, once that book was received after the venue last changed it (so after any resync).
 */
import { mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { Client, type WorkflowHandle } from "@temporalio/client";
import type { Payload } from "@temporalio/common";
import { optionalTsToMs } from "@temporalio/common/lib/time";
import { temporal as proto } from "@temporalio/proto";
import { Wallet } from "ethers";
import { MARKET_FEED_DEFAULTS } from "../../activities/streaming/market-feed";
import { ensureSchedulers } from "../../src/cli/schedulers";
import { loadConfig } from "../../src/config/load";
import { createLogger } from "../../src/log";
import { parseMicros } from "../../src/money";
import { type MarketBookSnapshot, QUERIES, SIGNALS, workflowIds } from "../../src/session/messages";
import { BALLAST_DATA_CONVERTER } from "../../src/temporal/data-converter";
import { payloadConverter } from "../../src/temporal/payload-converter";
import { Rng } from "../../src/venue/model/rng";
import { type RunningVenue, startVenue } from "../../src/venue/server/app";
import type { Submission } from "../../src/venue/server/submissions";
import type { Side, VenueMarket } from "../../src/venue/types";
import {
  activityRuns,
  clearFaults,
  databaseFills,
  holdOrders,
  QUIET_MARKET,
  setFaults,
  settledValue,
  spawnBallast,
  submittedOrders,
  venueFills,
} from "../../tests/helpers/stack";
import { type TrialDatabase, trialDatabase } from "./database";
import { checkCompletion, checkFills, checkOrders, type WorkflowEnd } from "./invariants";
import {
  FAILING_TRADE_RATE,
  FAULTS,
  type FaultName,
  type KillPoint,
  type KillTarget,
  SCALE_OUT,
  type TrialSpec,
} from "./matrix";
import { type Instance, instancesOf, WorkerProcesses } from "./processes";
import type { RestartableTemporal } from "./temporal-server";

export const WINDOW_MS = 60_000;
/** MAX_REBALANCE_WAIT_MS: no rebalancing (and no new position) in the window's last 10 s. */
const FREEZE_MS = 10_000;
/** The Temporal server suggests continue-as-new at this many history events (its dynamic config). */
export const CONTINUE_AS_NEW_AT = 200;
/** How long the venue holds a held POST /order. */
const HOLD_MS = 4_000;
/** A lost book update is repaired by the feed's resync within this (heartbeat timeout, restart, snapshot). */
const RESYNC_WITHIN_MS = 20_000;
/** Post-fill trials: the venue's matching delay of marketable orders. */
const TAKER_DELAY_MS = 3_000;
const MAKER = "0x00000000000000000000000000000000000000a1";
const RIVAL = "0x00000000000000000000000000000000000000a2";
const UP_ASK = 450_000;
const DOWN_ASK = 470_000;
const ASK_SIZE = 40_000_000;
/** What the rival takes (or the maker pulls) of the other outcome's asks: 12 shares are left. */
const TAKEN = 28_000_000;
/** A trial that has not finished after this is abandoned (its cleanup still runs). */
const TRIAL_TIMEOUT_MS = 6 * 60_000;
/**
 * Scale-out: a killed streaming worker's feeds run on the other one within this. Temporal notices the dead
 * worker by the feed activity's heartbeat timeout (10 s after the last heartbeat it received, which is at
 * most the kill) and retries it after its initial retry interval (1 s), both in workflows/feed.ts; 3 s more
 * for the task to reach the other worker on a loaded 2-core machine.
 */
/** A feed ends this long after its window (unless its session's completion ends it first). */
const FEED_END_GRACE_MS = MARKET_FEED_DEFAULTS.endGraceMs;
export const FEED_RESUME_WITHIN_MS = 10_000 + 1_000 + 3_000;

export interface TrialContext {
  temporal: RestartableTemporal;
  /** Names this run's namespaces. */
  runId: string;
  /** Trials keep their logs under it (removed after a clean trial). */
  workDir: string;
  log(line: string): void;
  /** Keep every trial's logs, clean or not. */
  keepLogs?: boolean;
  /** ARB_ENTRY_PATH of the trial's deployment (unset: the configuration's default). */
  entry?: "child" | "armed";
}

export interface TrialResult {
  index: number;
  seed: number;
  /** A kill target, or the fault of a soak. */
  target: KillTarget | FaultName;
  point: KillPoint | "soak" | "scale-out";
  /** The deployment's entry path (ARB_ENTRY_PATH). */
  entry: "child" | "armed";
  /** Held trials: which order was held (entry or rebalance). */
  variant?: string;
  namespace: string;
  slug?: string;
  /** The kill happened at the moment its point names (judged from the venue's records at the kill). */
  landed: boolean;
  /** What the kill hit, in words. */
  moment: string;
  story: {
    entryOrders: number;
    imbalanced: boolean;
    rebalanced: boolean;
    positions: number;
    stoppedAt?: string;
  };
  duplicateOrders: number;
  lostFills: number;
  stuckPositions: number;
  orphanOrders: number;
  pnlMismatch: number;
  /**
   * Quiet moments (the book unchanged for a while) at which the book the session last received, received
   * after the venue's last change of it (so after any resync), differed from the venue's book.
   */
  bookMismatches: number;
  /**
   * Not an invariant: quiet moments at which the session had still received no book since the venue's last
   * change, 5 s on (the feed had not caught up: stalled, or its streamer down, with no resync since).
   */
  staleBooks: number;
  /**
   * Scale-out trials: feeds of the killed streaming worker that did not run on the other one within
   * FEED_RESUME_WITHIN_MS (or at all); 0 in other trials.
   */
  lateFeeds: number;
  /** Scale-out trials: where the feeds ran before the kill, which streamer was killed, and how each moved. */
  scaleOut?: ScaleOutReport;
  /** Processes that ended without being killed (the harness started them again). */
  unexpectedExits: string[];
  /** The trial could not be run to its end (a harness failure, not an invariant). */
  error?: string;
  seconds: number;
  details: Record<string, unknown>;
  /** Where its logs were kept. */
  logDir?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

class StepTimeout extends Error {}

/** Polls `check` every `everyMs` until it returns a value, or throws StepTimeout at `untilMs`. */
async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  untilMs: number,
  everyMs = 200,
): Promise<T> {
  let last = "";
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() >= untilMs) throw new StepTimeout(`${what}${last ? ` (last error: ${last})` : ""}`);
    await sleep(Math.min(everyMs, untilMs - Date.now()));
  }
}

/**
 * The end of the window a workflow id names: its slug's unix-second start (`session-btc-updown-1m-1796305800`,
 * `position-btc-updown-1m-1796305800-2`) plus the window.
 */
function windowEndOfId(workflowId: string): number | undefined {
  const start = Number(/-(\d{9,})(?:-\d+)?$/.exec(workflowId)?.[1]);
  return Number.isSafeInteger(start) ? start * 1000 + WINDOW_MS : undefined;
}

/** The newest book a session received: its current run's last marketBook signal, or the book its run started with. */
async function lastSessionBook(session: WorkflowHandle): Promise<MarketBookSnapshot | undefined> {
  const history = await session.fetchHistory();
  // Decoded as the workers do (money in payloads is decimal text; older payloads hold micros).
  const json = (payloads: { payloads?: { data?: Uint8Array | null }[] | null } | null | undefined) => {
    const p = payloads?.payloads?.[0];
    // biome-ignore lint/suspicious/noExplicitAny: plain JSON of a recorded payload
    return p?.data && p.data.length > 0 ? payloadConverter.fromPayload<any>(p as Payload) : undefined;
  };
  let book: MarketBookSnapshot | undefined;
  for (const e of history.events ?? []) {
    const started = e.workflowExecutionStartedEventAttributes;
    if (started) book = json(started.input)?.state?.book;
    const signaled = e.workflowExecutionSignaledEventAttributes;
    if (signaled?.signalName === SIGNALS.marketBook) book = json(signaled.input);
  }
  return book;
}

export interface ScaleOutReport {
  /** The running feeds' markets per streaming worker, just before the kill. */
  hostsBefore: Record<string, string[]>;
  killed?: Instance;
  survivor?: Instance;
  /** Each feed of the killed worker: on which worker it ran again, how long after the kill. */
  moved: { slug: string; on: string; afterMs: number }[];
  /** Feeds of the killed worker not seen running on another worker by the end of the watch. */
  notResumed: string[];
}

/** A running feed's activity: which process runs it, since when (its current attempt). */
interface FeedHost {
  slug: string;
  pid?: number;
  startedAtMs?: number;
  attempt: number;
}

interface KillMoment {
  atMs: number;
  why: string;
  journalEntries: number;
  pending: number;
  delayed: number;
  tradesNotFinal: number;
  positionOpen?: boolean;
}

export async function runTrial(ctx: TrialContext, spec: TrialSpec): Promise<TrialResult> {
  const trial = new Trial(ctx, spec);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      trial.run(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`trial timed out after ${TRIAL_TIMEOUT_MS / 1000} s`)),
          TRIAL_TIMEOUT_MS,
        );
      }),
    ]);
  } catch (err) {
    trial.result.error = (err as Error).message;
  } finally {
    clearTimeout(timer);
    await trial.close();
  }
  return trial.result;
}

class Trial {
  readonly result: TrialResult;
  readonly rng: Rng;
  readonly dir: string;
  readonly began = Date.now();
  readonly closers: { what: string; close: () => Promise<void> }[] = [];
  readonly wallet = Wallet.createRandom();
  readonly ourAddress = this.wallet.address.toLowerCase();
  venue!: RunningVenue;
  db!: TrialDatabase;
  procs!: WorkerProcesses;
  client!: Client;
  market!: VenueMarket;
  kill: { moment?: KillMoment; done?: Promise<void>; restartedAtMs?: number; error?: string } = {};
  /** Status of each trade of ours, as the venue's events tell it. */
  readonly tradeStatus = new Map<string, string>();
  seq = 0;
  /** When the venue last changed our market's books. */
  lastBookChangeMs = 0;
  lastBookChange = "";
  readonly timers: NodeJS.Timeout[] = [];
  /** Book comparisons at quiet moments: what was compared and how it came out. */
  readonly bookChecks: string[] = [];

  constructor(
    readonly ctx: TrialContext,
    readonly spec: TrialSpec,
  ) {
    this.rng = Rng.fromSeed(spec.seed).fork(`chaos:${spec.point}:${spec.target}`);
    this.dir = path.join(ctx.workDir, `trial-${spec.index}-${spec.point}-${spec.target}`);
    this.result = {
      index: spec.index,
      seed: spec.seed,
      target: spec.target,
      point: spec.point,
      entry: ctx.entry ?? "child",
      namespace: `chaos-${ctx.runId}-${spec.index}`,
      landed: false,
      moment: "the kill never fired",
      story: { entryOrders: 0, imbalanced: false, rebalanced: false, positions: 0 },
      duplicateOrders: 0,
      lostFills: 0,
      stuckPositions: 0,
      orphanOrders: 0,
      pnlMismatch: 0,
      bookMismatches: 0,
      lateFeeds: 0,
      staleBooks: 0,
      unexpectedExits: [],
      seconds: 0,
      details: {},
    };
  }

  log(line: string): void {
    this.ctx.log(
      `  [${this.spec.index} ${this.spec.point}/${this.spec.target} +${((Date.now() - this.began) / 1000).toFixed(1)}s] ${line}`,
    );
  }

  get engine() {
    return this.venue.simulation.engine;
  }

  /** Waits until each instance's process polls the task queue (a worker's identity is `pid@host`). */
  async waitForPollers(
    taskQueue: string,
    type: "WORKFLOW" | "ACTIVITY",
    instances: readonly Instance[],
    untilMs: number,
  ): Promise<void> {
    await waitFor(
      `${instances.join(" and ")} polling ${taskQueue}`,
      async () => {
        const r = await this.client.workflowService.describeTaskQueue({
          namespace: this.result.namespace,
          taskQueue: { name: taskQueue },
          taskQueueType: proto.api.enums.v1.TaskQueueType[`TASK_QUEUE_TYPE_${type}`],
        });
        const polling = new Set((r.pollers ?? []).map((p) => Number.parseInt(p.identity ?? "", 10)));
        return instances.every((i) => {
          const pid = this.procs.pid(i);
          return pid !== undefined && polling.has(pid);
        })
          ? true
          : undefined;
      },
      untilMs,
      500,
    );
  }

  /** `ballast scheduler` as its own process: resolves true once it exited 0; throws with its output if not. */
  runScheduler(env: NodeJS.ProcessEnv): Promise<true> {
    return new Promise((resolve, reject) => {
      const child = spawnBallast("scheduler", env, ["ignore", "pipe", "pipe"]);
      let output = "";
      child.stdout?.on("data", (d) => {
        output += d;
      });
      child.stderr?.on("data", (d) => {
        output += d;
      });
      child.once("exit", (code, signal) =>
        code === 0
          ? resolve(true)
          : reject(
              new Error(`ballast scheduler ended ${signal ?? code}: ${output.trim().split("\n").pop()}`),
            ),
      );
    });
  }

  /** The running feeds and which process runs each. */
  async feedHosts(): Promise<FeedHost[]> {
    const hosts: FeedHost[] = [];
    for await (const wf of this.client.workflow.list({
      query: "WorkflowType = 'marketFeed' AND ExecutionStatus = 'Running'",
    })) {
      const host = await this.feedHost(wf.workflowId.replace(/^feed-/, ""));
      if (host) hosts.push(host);
    }
    return hosts;
  }

  /**
   * Where a feed's activity runs (a running feed: its pending activity's current attempt) or last ran (a
   * completed feed, e.g. of a window that ended: its history's ActivityTaskStarted, written for the attempt
   * that completed). Undefined while it runs nowhere (between a dead worker and the retry).
   */
  async feedHost(slug: string): Promise<FeedHost | undefined> {
    const handle = this.client.workflow.getHandle(workflowIds.feed(slug));
    const d = await handle.describe();
    const pidOf = (identity: string | null | undefined) =>
      identity ? Number.parseInt(identity, 10) : undefined;
    if (d.status.name === "RUNNING") {
      const a = d.raw.pendingActivities?.[0];
      if (a?.state !== proto.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED)
        return undefined;
      return {
        slug,
        attempt: a.attempt ?? 0,
        pid: pidOf(a.lastWorkerIdentity),
        startedAtMs: optionalTsToMs(a.lastStartedTime),
      };
    }
    const events = (await handle.fetchHistory()).events ?? [];
    const started = events.filter((e) => e.activityTaskStartedEventAttributes).pop();
    if (!started) return undefined;
    return {
      slug,
      attempt: started.activityTaskStartedEventAttributes?.attempt ?? 0,
      pid: pidOf(started.activityTaskStartedEventAttributes?.identity),
      startedAtMs: optionalTsToMs(started.eventTime),
    };
  }

  ourKeys(): string[] {
    return this.venue.apiKeys
      .all()
      .filter((k) => k.address.toLowerCase() === this.ourAddress)
      .map((k) => k.key);
  }

  order(account: string, tokenId: string, side: Side, price: number, size: number, type: "GTC" | "FAK") {
    const id = `0xchaos${++this.seq}`;
    const r = this.engine.submit(
      {
        id,
        owner: account,
        account,
        tokenId,
        side,
        price,
        size,
        type,
        postOnly: type === "GTC",
        expiresAtMs: 0,
      },
      Date.now(),
    );
    if (!r.success) throw new Error(`scripted ${side} by ${account} refused: ${r.errorMsg}`);
    return id;
  }

  // ------------------------------------------------------------------------------------------ setup

  async run(): Promise<void> {
    const { ctx, spec } = this;
    mkdirSync(this.dir, { recursive: true });
    const namespace = this.result.namespace;
    await ctx.temporal.registerNamespace(namespace);
    const scaleOut = spec.point === "scale-out";
    const assets: readonly string[] = scaleOut ? SCALE_OUT.assets : ["BTC"];
    this.db = await trialDatabase();
    this.closers.push({ what: "database", close: () => this.db.close() });
    this.venue = await startVenue({
      port: 0,
      seed: spec.seed,
      assets: assets as ("BTC" | "ETH" | "SOL" | "XRP")[],
      windowMs: WINDOW_MS,
      model: QUIET_MARKET,
      ...(spec.point === "post-fill" ? { takerDelayMs: TAKER_DELAY_MS } : {}),
      ...(spec.fault === "failing-trades" ? { tradeFailureRate: FAILING_TRADE_RATE } : {}),
    });
    this.closers.push({ what: "venue", close: () => this.venue.close() });
    const configEnv = {
      CLOB_URL: this.venue.urls.clob,
      GAMMA_URL: this.venue.urls.gamma,
      WS_URL: this.venue.urls.ws,
      DATABASE_URL: this.db.url,
      TEMPORAL_ADDRESS: ctx.temporal.address,
      TEMPORAL_NAMESPACE: namespace,
      TEMPORAL_TASK_QUEUE: "chaos",
      TEMPORAL_STREAMING_TASK_QUEUE: "chaos-streaming",
      WINDOW_MS: String(WINDOW_MS),
      ASSETS: assets.join(","),
      BUDGET_PER_TRADE: "25",
      MAX_REBALANCE_WAIT_MS: String(FREEZE_MS),
      MAX_POSITIONS_PER_WINDOW: "1",
      ...(ctx.entry ? { ARB_ENTRY_PATH: ctx.entry } : {}),
    };
    this.procs = new WorkerProcesses(
      {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...configEnv,
        POLY_PRIVATE_KEY: this.wallet.privateKey,
        LOG_LEVEL: "warn",
        // Each process's /metrics on a free port (several processes share this machine).
        METRICS_PORT: "0",
      },
      this.dir,
    );
    this.closers.push({ what: "workers", close: () => this.procs.close() });
    const workers = instancesOf("worker", scaleOut ? SCALE_OUT.workers : 1);
    const streamers = instancesOf("streamer", scaleOut ? SCALE_OUT.streamers : 1);
    for (const instance of [...workers, ...streamers]) this.procs.start(instance);
    // Ballast's payload converter, as every client of the deployment: money in payloads is decimal text.
    this.client = new Client({
      connection: await ctx.temporal.connection(),
      namespace,
      dataConverter: BALLAST_DATA_CONVERTER,
    });
    const config = loadConfig({ env: configEnv });

    if (scaleOut) {
      // Every worker polling before the first session starts, so that its feeds can go to either streamer;
      // then the schedulers from `ballast scheduler`, a process of its own as deployed.
      await this.waitForPollers(configEnv.TEMPORAL_TASK_QUEUE, "WORKFLOW", workers, Date.now() + 60_000);
      await this.waitForPollers(
        configEnv.TEMPORAL_STREAMING_TASK_QUEUE,
        "ACTIVITY",
        streamers,
        Date.now() + 60_000,
      );
      await waitFor(
        "`ballast scheduler`",
        () => this.runScheduler(this.procs.env),
        Date.now() + 30_000,
        1_000,
      );
    } else {
      await waitFor(
        "the schedulers",
        () => ensureSchedulers(config, createLogger({ level: "error" })).then(() => true),
        Date.now() + 30_000,
        1_000,
      );
    }
    // A window with time for the whole story (a kill can cost a 20 s activity timeout), whose session has
    // its first book; if that takes too long (a loaded machine), the next window (its session is started
    // one window ahead).
    let session: WorkflowHandle;
    for (let attempt = 1; ; attempt++) {
      this.market = await waitFor(
        "a window with 45 s to go",
        () =>
          this.venue.simulation
            .markets()
            .find(
              (m) =>
                m.asset === "BTC" &&
                m.startMs <= Date.now() &&
                m.endMs - Date.now() > 45_000 &&
                m.endMs - m.startMs === WINDOW_MS,
            ),
        Date.now() + WINDOW_MS + 20_000,
        100,
      );
      session = this.client.workflow.getHandle(workflowIds.session(this.market.slug));
      const s = session;
      try {
        await waitFor(
          "the session's first book",
          async () => {
            // biome-ignore lint/suspicious/noExplicitAny: query result
            const state: any = await s.query(QUERIES.sessionState);
            return state.lastBookSeq > 0 ? true : undefined;
          },
          this.market.endMs - 42_000,
        );
        break;
      } catch (err) {
        if (!(err instanceof StepTimeout) || attempt >= 3) throw err;
        this.log(`${err.message} in time for ${this.market.slug}: the next window`);
      }
    }
    this.result.slug = this.market.slug;
    await waitFor(
      "our API key at the venue",
      () => (this.ourKeys().length > 0 ? true : undefined),
      Date.now() + 30_000,
    );
    const balanceBefore = this.engine.balance(this.ourAddress).collateral;
    this.log(`window ${this.market.slug}, ${((this.market.endMs - Date.now()) / 1000).toFixed(0)} s to go`);
    const ours = new Set(this.market.tokenIds);
    const unsubscribe = this.engine.subscribe((e) => {
      if ((e.kind === "level_changed" || e.kind === "tick_size_changed") && ours.has(e.tokenId)) {
        this.lastBookChangeMs = Date.now();
        this.lastBookChange =
          e.kind === "level_changed" ? `${e.side} ${e.price / 1e6} → ${e.size / 1e6}` : "tick size";
      }
    });
    this.closers.push({ what: "book watch", close: async () => unsubscribe() });
    if (spec.fault) {
      // The stalled feed comes and goes once the position is open (see storyAfterSetup); the others stay on.
      const patch = FAULTS[spec.fault];
      if (Object.keys(patch).length > 0 && spec.fault !== "stalled-feed") await setFaults(this.venue, patch);
      this.result.landed = true;
      this.result.moment =
        spec.fault === "stalled-feed"
          ? "the market channel silent 6 s in every 9, from the open position to the window's end"
          : `${spec.fault} from the session's first book to the window's end + 10 s`;
    }

    try {
      await this.story(session);
    } catch (err) {
      if (!(err instanceof StepTimeout)) throw err;
      this.result.story.stoppedAt = err.message;
      this.log(`story stopped: ${err.message}`);
    }
    await this.finish(balanceBefore);
  }

  // ------------------------------------------------------------------------------------------ the kill

  /** Kills the target now (once per trial) and starts it again; the story goes on meanwhile. */
  fire(why: string): void {
    if (this.kill.moment || this.spec.fault) return;
    const keys = this.ourKeys();
    const delayed = keys
      .flatMap((k) => this.engine.openOrders(k))
      .filter((o) => o.status === "DELAYED").length;
    const tradesNotFinal = [...this.tradeStatus.values()].filter(
      (s) => s !== "CONFIRMED" && s !== "FAILED",
    ).length;
    const moment: KillMoment = {
      atMs: Date.now(),
      why,
      journalEntries: 0,
      pending: 0,
      delayed,
      tradesNotFinal,
    };
    this.kill.moment = moment;
    const journal = submittedOrders(this.venue, this.ourAddress).then((j) => {
      moment.journalEntries = j.length;
      moment.pending = j.filter((s) => s.outcome === "pending").length;
    });
    this.log(`kill ${this.spec.target}: ${why}`);
    this.kill.done = Promise.all([journal, this.killAndRestart()])
      .then(() => {
        this.kill.restartedAtMs = Date.now();
        // A scale-out trial's killed streamer stays down; its feeds have moved by now.
        if (this.spec.point !== "scale-out") this.log(`${this.spec.target} restarted`);
      })
      .catch((err) => {
        this.kill.error = (err as Error).message;
      });
  }

  later(ms: number, why: string): void {
    setTimeout(() => this.fire(why), ms).unref();
  }

  async killAndRestart(): Promise<void> {
    const downMs = this.rng.int(0, 1_000);
    const { temporal } = this.ctx;
    if (this.spec.point === "scale-out") return this.killOneStreamer();
    switch (this.spec.target) {
      case "worker":
      case "streamer":
        await this.procs.kill(this.spec.target);
        await sleep(downMs);
        this.procs.start(this.spec.target);
        return;
      case "temporal":
        await temporal.kill();
        await sleep(downMs);
        await temporal.start();
        return;
      case "stack":
        await Promise.all([this.procs.kill("worker"), this.procs.kill("streamer"), temporal.kill()]);
        await sleep(downMs);
        await temporal.start();
        this.procs.start("worker");
        this.procs.start("streamer");
        return;
    }
  }

  /**
   * Scale-out: SIGKILL the streaming worker hosting our market's feed, for good, and watch each feed it
   * hosted until it runs on the other streaming worker.
   */
  async killOneStreamer(): Promise<void> {
    const report: ScaleOutReport = { hostsBefore: {}, moved: [], notResumed: [] };
    this.result.scaleOut = report;
    const before = await this.feedHosts();
    const hostOf = (h: FeedHost) => (h.pid !== undefined ? this.procs.instanceOfPid(h.pid) : undefined);
    for (const h of before) {
      const name = hostOf(h) ?? "(not running)";
      report.hostsBefore[name] = [...(report.hostsBefore[name] ?? []), h.slug];
    }
    const ours = before.find((h) => h.slug === this.market.slug);
    const killed = (ours && hostOf(ours)) ?? "streamer";
    const survivor: Instance = killed === "streamer" ? "streamer-2" : "streamer";
    report.killed = killed;
    report.survivor = survivor;
    const hosted = before.filter((h) => hostOf(h) === killed).map((h) => h.slug);
    const killedAtMs = Date.now();
    await this.procs.kill(killed);
    this.log(`killed ${killed} (feeds ${hosted.join(", ")}); watching them resume on ${survivor}`);
    const waiting = new Set(hosted);
    const watchUntil = killedAtMs + FEED_RESUME_WITHIN_MS + 20_000;
    while (waiting.size > 0 && Date.now() < watchUntil) {
      for (const slug of [...waiting]) {
        const h = await this.feedHost(slug).catch(() => undefined);
        // A new attempt, started after the kill: on the survivor (the killed process is gone).
        if (!h || h.startedAtMs === undefined || h.startedAtMs < killedAtMs) continue;
        report.moved.push({
          slug: h.slug,
          on: (h.pid !== undefined && this.procs.instanceOfPid(h.pid)) || `pid ${h.pid}`,
          afterMs: h.startedAtMs - killedAtMs,
        });
        waiting.delete(h.slug);
      }
      await sleep(250);
    }
    report.notResumed = [...waiting];
    this.result.lateFeeds =
      report.notResumed.length + report.moved.filter((m) => m.afterMs > FEED_RESUME_WITHIN_MS).length;
    this.log(
      `feeds moved: ${report.moved.map((m) => `${m.slug} → ${m.on} after ${(m.afterMs / 1000).toFixed(1)} s`).join("; ") || "none"}${report.notResumed.length ? `; NOT resumed: ${report.notResumed.join(", ")}` : ""}`,
    );
  }

  /** Fires once the venue's journal shows a POST /order of ours received and not yet handled. */
  async fireWhenHeld(untilMs: number): Promise<void> {
    await waitFor(
      "our held order at the venue",
      async () => {
        const j = await submittedOrders(this.venue, this.ourAddress);
        return j.some((s) => s.outcome === "pending") ? true : undefined;
      },
      untilMs,
      50,
    );
    this.fire("the venue holds our POST /order");
  }

  // ------------------------------------------------------------------------------------------ the story

  async story(session: WorkflowHandle): Promise<void> {
    const { engine, market, spec } = this;
    const [up, down] = market.tokenIds;
    const delayedMode = spec.point === "post-fill";
    engine.credit(MAKER, 10_000_000_000);
    engine.credit(RIVAL, 10_000_000_000);
    const split = engine.split(MAKER, market.conditionId, 200_000_000, Date.now());
    if (!split.success) throw new Error(`maker split failed: ${split.errorMsg}`);

    let firstLeg: string | undefined;
    const unsubscribe = engine.subscribe((e) => {
      if (e.kind !== "trade") return;
      const t = e.trade;
      const ours = t.takerAccount === this.ourAddress || t.makers.some((m) => m.account === this.ourAddress);
      if (!ours) return;
      this.tradeStatus.set(t.id, t.status);
      if (firstLeg || t.takerAccount !== this.ourAddress) return;
      firstLeg = t.tokenId;
      if (!delayedMode) {
        try {
          this.order(RIVAL, firstLeg === up ? down : up, "BUY", 990_000, TAKEN, "FAK");
        } catch (err) {
          this.log(`the rival could not strike: ${(err as Error).message}`);
        }
      }
      if (spec.point === "fills" || spec.point === "scale-out")
        this.later(this.rng.int(0, 1_500), "our first trade, its fills on their way");
    });
    try {
      await this.storyAfterSetup(session, up, down, delayedMode);
    } finally {
      unsubscribe();
    }
  }

  async storyAfterSetup(
    session: WorkflowHandle,
    up: string,
    down: string,
    delayedMode: boolean,
  ): Promise<void> {
    const { engine, market, spec } = this;
    const heldVariant = spec.point === "held" ? (this.rng.chance(0.5) ? "entry" : "rebalance") : undefined;
    if (heldVariant) this.result.variant = heldVariant;
    let heldWatch: Promise<void> | undefined;
    if (heldVariant === "entry") {
      await holdOrders(this.venue, { owner: this.ourAddress, side: "BUY", count: 1, ms: HOLD_MS });
      heldWatch = this.fireWhenHeld(market.endMs - 20_000);
    }

    // 1. The dislocation.
    this.order(MAKER, up, "SELL", UP_ASK, ASK_SIZE, "GTC");
    let pulled: string | undefined;
    if (delayedMode) {
      this.order(MAKER, down, "SELL", DOWN_ASK, ASK_SIZE - TAKEN, "GTC");
      pulled = this.order(MAKER, down, "SELL", DOWN_ASK, TAKEN, "GTC");
    } else {
      this.order(MAKER, down, "SELL", DOWN_ASK, ASK_SIZE, "GTC");
    }
    if (spec.point === "before-post") this.later(this.rng.int(0, 60), "the dislocation just posted");

    // 2. Our legs (post-fill: both wait out the taker delay; the maker pulls most of the Down asks meanwhile).
    if (delayedMode) {
      await waitFor(
        "our entry orders delayed at the venue",
        () => {
          const delayed = this.ourKeys()
            .flatMap((k) => engine.openOrders(k))
            .filter((o) => o.status === "DELAYED");
          return delayed.length >= 2 ? true : undefined;
        },
        market.endMs - 25_000,
        10,
      );
      engine.cancel(MAKER, [pulled!], Date.now());
      this.later(this.rng.int(0, 1_500), "our entry orders delayed at the venue, not matched yet");
    }
    await waitFor(
      "both entry legs decided at the venue",
      async () => {
        const j = await submittedOrders(this.venue, this.ourAddress);
        const decided = new Set(
          j.filter((s) => s.side === "BUY" && s.outcome !== "pending").map((s) => s.orderHash),
        );
        const delayed = this.ourKeys()
          .flatMap((k) => engine.openOrders(k))
          .filter((o) => o.status === "DELAYED").length;
        return decided.size >= 2 && delayed === 0 && this.tradeStatus.size > 0 ? decided.size : undefined;
      },
      market.endMs - 20_000,
    ).then((n) => {
      this.result.story.entryOrders = n;
    });
    await heldWatch?.catch(() => undefined);
    if (spec.fault === "stalled-feed") this.stallOnAndOff();

    // 3. Shares are sellable once MINED.
    await waitFor(
      "our entry trades MINED",
      () => ([...this.tradeStatus.values()].every((s) => s !== "MATCHED") ? true : undefined),
      market.endMs - 18_000,
    );
    const shares = () => {
      const b = engine.balance(this.ourAddress).shares;
      return { up: b[up] ?? 0, down: b[down] ?? 0 };
    };
    const held = shares();
    this.result.story.imbalanced = Math.abs(held.up - held.down) >= 5_000_000;
    if (spec.point === "continue-as-new")
      await this.churnUntilContinueAsNew(session, held.up > held.down ? down : up);
    if (!this.result.story.imbalanced) {
      this.log(`no imbalance to rebalance (Up ${held.up / 1e6}, Down ${held.down / 1e6})`);
    } else {
      const excessIsUp = held.up > held.down;
      if (heldVariant === "rebalance") {
        await holdOrders(this.venue, { owner: this.ourAddress, side: "SELL", count: 1, ms: HOLD_MS });
        heldWatch = this.fireWhenHeld(market.endMs - FREEZE_MS);
      }
      await this.checkBook("after the entry");
      engine.cancelAll(MAKER, Date.now());
      this.order(MAKER, excessIsUp ? up : down, "BUY", excessIsUp ? 560_000 : 580_000, ASK_SIZE, "GTC");
      await waitFor(
        "our rebalancing SELL at the venue",
        async () => {
          const j = await submittedOrders(this.venue, this.ourAddress);
          return j.some((s) => s.side === "SELL" && s.outcome === "accepted") ? true : undefined;
        },
        market.endMs - FREEZE_MS + 5_000,
      );
      this.result.story.rebalanced = true;
      await heldWatch?.catch(() => undefined);
    }
  }

  /**
   * Stalled-feed soaks: from the open position to the window's end, the market channel goes silent for 6 s
   * in every 9 (what the venue would have sent meanwhile is lost, as on a real stalled feed).
   */
  stallOnAndOff(): void {
    const venue = this.venue;
    const endMs = this.market.endMs;
    const toggle = (on: boolean) => {
      if (Date.now() >= endMs) return;
      void setFaults(venue, { stallFeed: on }).catch(() => undefined);
      this.timers.push(setTimeout(() => toggle(!on), on ? 6_000 : 3_000));
    };
    toggle(true);
  }

  /** Churns a far bid (on the outcome short of shares: it changes no decision) until the session continues as new. */
  async churnUntilContinueAsNew(session: WorkflowHandle, token: string): Promise<void> {
    const { engine, market } = this;
    const margin = this.rng.int(0, 10);
    let resting: string | undefined;
    const timer = setInterval(() => {
      if (resting) {
        engine.cancel(MAKER, [resting], Date.now());
        resting = undefined;
      } else {
        resting = this.order(MAKER, token, "BUY", 20_000, 10_000_000, "GTC");
      }
    }, 120);
    try {
      const before = (await session.describe()).runId;
      const runAtKill = await waitFor(
        `the session's history at ${CONTINUE_AS_NEW_AT - margin} events`,
        async () => {
          const d = await session.describe();
          return d.runId !== before || d.historyLength >= CONTINUE_AS_NEW_AT - margin ? d.runId : undefined;
        },
        market.endMs - 25_000,
        40,
      );
      this.fire(`the session at its continue-as-new threshold (${margin} events before)`);
      await waitFor(
        "the session to continue as new",
        async () => ((await session.describe()).runId !== runAtKill ? true : undefined),
        market.endMs - 20_000,
      );
    } finally {
      clearInterval(timer);
      if (resting) engine.cancel(MAKER, [resting], Date.now());
    }
  }

  // ------------------------------------------------------------------------------------------ the end

  async finish(balanceBefore: number): Promise<void> {
    const { engine, market, spec } = this;
    const { details } = this.result;
    await sleep(market.endMs - 8_000 - Date.now());
    if (Date.now() < market.endMs - 4_000) await this.checkBook("before the end");
    // Just before the end: every order of ours open at the venue must be one the service knows.
    await sleep(market.endMs - 1_500 - Date.now());
    const openBeforeEnd = this.ourKeys().flatMap((k) => engine.openOrders(k).map((o) => o.id));
    if (spec.point === "resolution") {
      // The position resolves within a second of the end: its end-of-window timer fires at endMs (the first
      // event its history gains after it), then it settles, reads the winner and records the result.
      const position = this.client.workflow.getHandle(workflowIds.position(market.slug, 1));
      await sleep(market.endMs - 500 - Date.now());
      const before = await position
        .describe()
        .then((d) => d.historyLength)
        .catch(() => undefined);
      if (before !== undefined) {
        await waitFor(
          "the position's end-of-window timer",
          async () => {
            const d = await position.describe();
            return d.status.name !== "RUNNING" || (Date.now() >= market.endMs && d.historyLength > before)
              ? true
              : undefined;
          },
          market.endMs + 5_000,
          15,
        ).catch(() => undefined);
      }
      await sleep(this.rng.int(0, 150));
      const open = await position
        .describe()
        .then((d) => d.status.name === "RUNNING")
        .catch(() => false);
      this.fire("the window ended, the position resolving");
      this.kill.moment!.positionOpen = open;
    }
    await sleep(market.endMs + 1_000 - Date.now());
    if (spec.fault) {
      const venue = this.venue;
      setTimeout(
        () => void clearFaults(venue).catch(() => undefined),
        market.endMs + 10_000 - Date.now(),
      ).unref();
    }
    if (this.kill.done) await this.kill.done;
    if (this.kill.error) throw new Error(`killing or restarting ${spec.target} failed: ${this.kill.error}`);

    // Every position, and every session and feed of an ended window, completed.
    const deadline = market.endMs + 75_000;
    let ends: WorkflowEnd[] = [];
    for (;;) {
      ends = await this.workflowEnds().catch(() => ends);
      if ((ends.length > 0 && ends.every((w) => w.status !== "RUNNING")) || Date.now() > deadline) break;
      await sleep(1_000);
    }
    const positions = ends.filter((w) => w.type === "position");
    this.result.story.positions = positions.length;
    const dbTrades = (await this.db.pool.query("SELECT id, status FROM trades ORDER BY id")).rows;
    const completion = checkCompletion(ends, dbTrades);
    this.result.stuckPositions = completion.stuck.length;
    details.workflows = ends.map((w) => `${w.workflowId}: ${w.status}${w.phase ? ` ${w.phase}` : ""}`);
    if (completion.stuck.length) details.stuck = completion.stuck;

    // Our trades final at the venue, and the fills table equal to them.
    await waitFor(
      "our trades final at the venue",
      () => {
        const trades = this.ourKeys().flatMap((k) => engine.trades(k));
        return trades.every((t) => t.status === "CONFIRMED" || t.status === "FAILED") ? true : undefined;
      },
      Date.now() + 20_000,
    ).catch(() => undefined);
    const fromVenue = venueFills(engine, this.ourKeys());
    const fromDb = await settledValue(() => databaseFills(this.db.pool), fromVenue, 15_000);
    const fills = checkFills(fromVenue, fromDb);
    this.result.lostFills = fills.lostFills;
    details.fills = fromVenue.length;
    if (fills.lostFills)
      details.fillDifferences = { missing: fills.missing, different: fills.different, extra: fills.extra };

    // Orders: every order our keys sent was decided by a workflow, and none reached the book twice.
    const journal: Submission[] = await submittedOrders(this.venue, this.ourAddress);
    const dbOrders = (await this.db.pool.query("SELECT id, workflow_id, status FROM orders ORDER BY id"))
      .rows;
    let intents = 0;
    for (const p of positions) {
      const history = await this.client.workflow.getHandle(p.workflowId).fetchHistory();
      intents += activityRuns(history.events ?? []).filter((r) => r.name === "placeOrder").length;
    }
    const orders = checkOrders(journal, dbOrders, intents);
    this.result.duplicateOrders = orders.duplicateOrders;
    details.orders = {
      journal: journal.map(
        (s) => `${s.side} ${s.orderHash?.slice(0, 10)} ${s.outcome}${s.error ? ` (${s.error})` : ""}`,
      ),
      database: dbOrders.map((o) => `${o.id.slice(0, 10)} ${o.status}`),
      intents,
    };
    if (orders.duplicateOrders) details.duplicates = orders;

    // No order of ours open at the venue after resolution, nor unknown to the service before the end.
    const known = new Set(dbOrders.map((o) => o.id as string));
    const unknownBeforeEnd = openBeforeEnd.filter((id) => !known.has(id));
    const openAfter = this.ourKeys().flatMap((k) => engine.openOrders(k).map((o) => o.id));
    this.result.orphanOrders = unknownBeforeEnd.length + openAfter.length;
    if (this.result.orphanOrders) details.orphans = { unknownBeforeEnd, openAfterResolution: openAfter };

    // P&L: the recorded P&L is what the venue says our account gained or lost.
    const settled = await waitFor(
      "our shares settled",
      () => {
        const b = engine.balance(this.ourAddress);
        const [up, down] = market.tokenIds;
        return engine.marketStatus(market.conditionId) === "resolved" && !b.shares[up] && !b.shares[down]
          ? b
          : undefined;
      },
      Date.now() + 20_000,
    );
    const recorded = (
      await this.db.pool.query(
        "SELECT coalesce(sum(actual_profit), 0) AS pnl FROM trades WHERE status = 'RESOLVED'",
      )
    ).rows[0].pnl;
    const venueChange = settled.collateral - balanceBefore;
    const recordedMicros = parseMicros(String(recorded));
    this.result.pnlMismatch = recordedMicros === venueChange ? 0 : 1;
    details.pnl = { recorded: recordedMicros / 1e6, venue: venueChange / 1e6 };

    details.books = this.bookChecks;
    await this.judgeLanding();
  }

  /**
   * Once the book the session last received was received after the venue's last change of our books
   * (waiting up to 5 s for it), it must become the venue's book, top 5 levels each side, within
   * RESYNC_WITHIN_MS (the time a lost update takes to be repaired by the feed's resync).
   */
  async checkBook(label: string): Promise<void> {
    const session = this.client.workflow.getHandle(workflowIds.session(this.market.slug));
    let last: MarketBookSnapshot | undefined;
    const comparable = await waitFor(
      "a book received after the venue's last change",
      async () => {
        last = await lastSessionBook(session);
        return last && last.receivedAtMs >= this.lastBookChangeMs ? last : undefined;
      },
      Date.now() + 5_000,
      250,
    ).catch(() => undefined);
    if (!comparable) {
      this.result.staleBooks += 1;
      this.bookChecks.push(
        `${label}: not comparable (the session's last book, seq ${last?.seq}, was received ${last ? this.lastBookChangeMs - last.receivedAtMs : "?"} ms before the venue's last change, ${this.lastBookChange})`,
      );
      return;
    }
    const [up, down] = this.market.tokenIds;
    const levels = (token: string, side: Side) =>
      this.engine.levels(token, side, 5).map((l) => ({ price: l.price, size: l.size }));
    const venueBook = () => ({
      up: { bids: levels(up, "BUY"), asks: levels(up, "SELL") },
      down: { bids: levels(down, "BUY"), asks: levels(down, "SELL") },
    });
    const strip = (ls: readonly { price: number; size: number }[]) =>
      ls.map((l) => ({ price: l.price, size: l.size }));
    const localBook = (b: MarketBookSnapshot) => ({
      up: { bids: strip(b.up.bids), asks: strip(b.up.asks) },
      down: { bids: strip(b.down.bids), asks: strip(b.down.asks) },
    });
    // A frame received after the venue's change does not mean every change arrived: a feed killed
    // mid-stream may have lost the other token's update, which only its resync (a fresh snapshot, once
    // Temporal retries the feed elsewhere: heartbeat timeout plus restart) repairs. So the book must
    // become the venue's within that time, and stay a mismatch only if it does not.
    let local = localBook(comparable);
    let venue = venueBook();
    const deadline = Date.now() + RESYNC_WITHIN_MS;
    while (JSON.stringify(local) !== JSON.stringify(venue) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      const latest = await lastSessionBook(session).catch(() => undefined);
      if (latest) local = localBook(latest);
      venue = venueBook();
    }
    if (JSON.stringify(local) === JSON.stringify(venue)) {
      this.bookChecks.push(`${label}: equal`);
    } else {
      this.result.bookMismatches += 1;
      this.bookChecks.push(
        `${label}: DIFFERENT after ${RESYNC_WITHIN_MS / 1000} s: local ${JSON.stringify(local)} venue ${JSON.stringify(venue)}`,
      );
    }
  }

  /** Every position, and the sessions and feeds of ended windows, with how each ended (or RUNNING). */
  async workflowEnds(): Promise<WorkflowEnd[]> {
    const ids = new Map<string, string>();
    for await (const wf of this.client.workflow.list()) ids.set(wf.workflowId, wf.type);
    const now = Date.now();
    const ends: WorkflowEnd[] = [];
    for (const [workflowId, type] of ids) {
      if (type !== "position" && type !== "marketSession" && type !== "marketFeed") continue;
      // Only windows that are over: a later window's session, feed and (armed entry) position, started
      // ahead of it, run as they should. A feed runs on for its end grace after its window.
      const windowEnd = windowEndOfId(workflowId) ?? Number.POSITIVE_INFINITY;
      const over = windowEnd + (type === "marketFeed" ? FEED_END_GRACE_MS : 0);
      if (over > now - 1_000) continue;
      const handle = this.client.workflow.getHandle(workflowId);
      const d = await handle.describe();
      const end: WorkflowEnd = { type, workflowId, status: d.status.name };
      if (type === "position" && d.status.name === "COMPLETED") {
        end.phase = ((await handle.result()) as { phase: string }).phase;
      }
      ends.push(end);
    }
    return ends.sort((a, b) => a.workflowId.localeCompare(b.workflowId));
  }

  async judgeLanding(): Promise<void> {
    const m = this.kill.moment;
    const r = this.result;
    if (!m) return;
    const at = new Date(m.atMs).toISOString().slice(11, 23);
    const restarted = this.kill.restartedAtMs ?? m.atMs;
    switch (this.spec.point) {
      case "before-post":
        r.landed = m.journalEntries === 0 && r.story.entryOrders > 0;
        r.moment = `${m.why}; ${m.journalEntries} order(s) of ours at the venue then`;
        break;
      case "held":
        r.landed = m.pending > 0;
        r.moment = `${m.why}; ${m.pending} pending (${r.variant})`;
        break;
      case "post-fill":
        r.landed = m.delayed > 0;
        r.moment = `${m.why}; ${m.delayed} delayed`;
        break;
      case "fills":
        r.landed = m.tradesNotFinal > 0;
        r.moment = `${m.why}; ${m.tradesNotFinal} trade(s) not final`;
        break;
      case "scale-out": {
        // Landed: fills on their way, our market's feed on the killed streamer, and the feeds spread over both.
        const hosts = r.scaleOut?.hostsBefore ?? {};
        const spread = Object.keys(hosts).filter((h) => h.startsWith("streamer")).length >= 2;
        const killedOurs =
          r.scaleOut?.killed !== undefined && (hosts[r.scaleOut.killed] ?? []).includes(this.market.slug);
        r.landed = m.tradesNotFinal > 0 && killedOurs && spread;
        r.moment = `${m.why}; ${m.tradesNotFinal} trade(s) not final; killed ${r.scaleOut?.killed} hosting ${(hosts[r.scaleOut?.killed ?? ""] ?? []).length} feed(s), ${spread ? "feeds spread over both streamers" : "feeds NOT spread"}`;
        break;
      }
      case "continue-as-new": {
        const runs: { status: string; closeMs?: number }[] = [];
        for await (const wf of this.client.workflow.list({
          query: `WorkflowId = '${workflowIds.session(this.market.slug)}'`,
        })) {
          runs.push({ status: wf.status.name, closeMs: wf.closeTime?.getTime() });
        }
        const near = runs.filter(
          (x) =>
            x.status === "CONTINUED_AS_NEW" &&
            x.closeMs !== undefined &&
            x.closeMs >= m.atMs - 1_000 &&
            x.closeMs <= restarted + 15_000,
        );
        r.landed = near.length > 0;
        r.moment = `${m.why}; ${runs.length} run(s), ${near.length} continued as new around the kill`;
        break;
      }
      case "resolution":
        r.landed = m.atMs >= this.market.endMs && m.positionOpen === true;
        r.moment = `${m.why}; position ${m.positionOpen ? "still open" : "already closed"}`;
        break;
    }
    r.moment = `${at} ${r.moment}`;
  }

  // ------------------------------------------------------------------------------------------ cleanup

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    const r = this.result;
    r.unexpectedExits = [
      ...(this.procs?.unexpectedExits ?? []).map((e) => `${e.role} (${e.how})`),
      ...(this.ctx.temporal.unexpectedExit ? [this.ctx.temporal.unexpectedExit] : []),
    ];
    this.ctx.temporal.unexpectedExit = undefined;
    // The scheduler, control and the next window's session run for ever: stop them.
    if (this.client) {
      try {
        for await (const wf of this.client.workflow.list({ query: "ExecutionStatus = 'Running'" })) {
          await this.client.workflow
            .getHandle(wf.workflowId)
            .terminate("chaos trial over")
            .catch(() => undefined);
        }
      } catch {
        // The namespace is this trial's alone.
      }
    }
    for (const { what, close } of this.closers.reverse()) {
      await close().catch((err) => this.log(`closing the ${what} failed: ${(err as Error).message}`));
    }
    r.seconds = Math.round((Date.now() - this.began) / 1000);
    const clean =
      !r.error &&
      !r.duplicateOrders &&
      !r.lostFills &&
      !r.stuckPositions &&
      !r.orphanOrders &&
      !r.pnlMismatch;
    if (clean && !this.ctx.keepLogs) rmSync(this.dir, { recursive: true, force: true });
    else r.logDir = this.dir;
  }
}
