/**
 * npm run bench:latency — tick-to-order latency through the full Temporal path, on this machine.
 *
 * The whole stack runs, started and stopped here: the Temporal dev server, the venue simulator (in
 * this process, scripted: no simulated traders), the embedded PostgreSQL (a child process, see
 * bench/latency-db.ts; or DATABASE_URL's server, on a fresh database), and the workflow and streaming
 * workers as child processes (`node bin/ballast.cjs worker|streamer`), exactly as deployed.
 *
 * One sample: a maker account posts an Up ask (0.44 × 40) on the open BTC market, the system is let
 * settle, then the maker posts the Down ask (0.46 × 40): the books now sum to 0.90, an arbitrage after
 * fees. t0 is that moment (venue clock = this process's clock). t1 is when the first order of the
 * position the session opens reaches the venue's matching engine (engine.submit for our account).
 * Latency = t1 − t0. The breakdown comes from the stamps the path leaves behind:
 *
 *   venue → streamer receive     book.receivedAtMs − t0             (position input)
 *   receive → detection          detectedAtMs − book.receivedAtMs   (session's workflow clock)
 *   detection → position start   WorkflowExecutionStarted − detectedAtMs
 *   start → position task start  first WorkflowTaskStarted − WorkflowExecutionStarted
 *   task → placeOrder scheduled  ActivityTaskScheduled − WorkflowTaskStarted
 *   scheduled → activity start   ActivityTaskStarted − ActivityTaskScheduled
 *   activity → order sent        PlacedOrder.sentAtMs − ActivityTaskStarted (signing the order)
 *   sent → venue handler         venue's L2 auth of that request − sentAtMs (HTTP)
 *   venue handler → engine       t1 − L2 auth (the venue verifying the signed order)
 *
 * The history stamps are those of the leg that arrived first (matched by order hash); its sentAtMs is
 * also what trade_telemetry.order_placed_at holds (the earliest leg), which is cross-checked.
 *
 * Between samples: the maker's asks are pulled, and the next sample waits until the position has told
 * its session it is done executing (the session opens one position at a time while one executes) and
 * until the book has been still for --gap-ms, so that each dislocation reaches the streaming worker's
 * conflator when it is quiet (a lone change is signalled at once; one arriving within 100 ms of the
 * previous signal would wait for the rate bound).
 *
 * Two modes:
 *   default     the maker pulls its asks the moment our first order reaches the venue, so the legs find
 *               nothing to match: each position ends ABANDONED (nothing held) and leaves the session.
 *               The measured path up to t1 is the same as with fills.
 *   --fills     the legs fill (both, fully) and the position stays open until the window resolves,
 *               as in production. Every open position then costs the session (it forwards each fills
 *               signal to every open position, awaiting the signals inside its main loop) and the worker
 *               (a workflow task per position per forward): with hundreds of positions open in one
 *               window the samples drift up to seconds and the run slows. It shows that effect; the
 *               default measures the path itself. Samples may also time out there: a book that arrives
 *               while the session is forwarding is dropped when the session then continues as new
 *               (a timed-out sample says whether the session continued as new meanwhile).
 *
 * Entry paths (--entry, default armed): armed — the streamer detects and sends the session's armed
 * position an `execute` Update; the stages are then venue → receive, receive → detection (in the
 * streamer), detection → the Update's workflow task, task → placeOrder scheduled (persisted), the eager
 * activity's start, signing, HTTP, venue. child — the session detects and starts a position child (the
 * stages above). The dev server gets `npm start`'s dynamic config (DEV_SERVER_DYNAMIC_CONFIG) unless
 * --default-server. After the durable samples, in the same run, the workers are stopped and a
 * non-durable baseline runs (bench/latency-baseline.ts: the feed's own code, posting both legs directly;
 * --baseline-samples N, default min(samples, 200), 0 for none); the ratio of the p50s is printed.
 *
 * Options: --samples N (or LATENCY_SAMPLES; default 500), --warmup N (default 10), --gap-ms N
 * (default 250), --fills, --window-ms N (default 300000, at least 60000), --server-config KEY=VALUE
 * (repeatable: dynamic config for the dev server, e.g. history.transferProcessorMaxPollRPS=1000 to see
 * what the transfer queue's default pacing of 20 reads/s costs). Prints the figures and keeps the last
 * result in bench/latency.last.json.
 */
import { type ChildProcess, fork, spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { defaultPayloadConverter, type Payload } from "@temporalio/common";
import type { temporal } from "@temporalio/proto";
import { TestWorkflowEnvironment } from "@temporalio/testing";
import { Wallet } from "ethers";
import * as hdr from "hdr-histogram-js";
import { Pool } from "pg";
import type { PlacedOrder } from "../activities/exchange/activities";
import { ensureSchedulers } from "../src/cli/schedulers";
import { loadConfig } from "../src/config/load";
import { createLogger } from "../src/log";
import type { MarketBookSnapshot } from "../src/session/messages";
import { QUERIES, workflowIds } from "../src/session/messages";
import { PROJECT_ROOT, temporalCliPath } from "../src/temporal/binaries";
import { BALLAST_DATA_CONVERTER } from "../src/temporal/data-converter";
import { DEV_SERVER_DYNAMIC_CONFIG } from "../src/temporal/dev-server";
import { SEARCH_ATTRIBUTES } from "../src/temporal/search-attributes";
import { type RunningVenue, startVenue } from "../src/venue/server/app";
import type { OrderRequest, VenueMarket } from "../src/venue/types";
import { freshDatabase } from "../tests/helpers/database";

// ------------------------------------------------------------------------------------------ settings

const { values: opts } = parseArgs({
  options: {
    samples: { type: "string" },
    warmup: { type: "string" },
    "gap-ms": { type: "string" },
    fills: { type: "boolean", default: false },
    "server-config": { type: "string", multiple: true },
    "window-ms": { type: "string" },
    entry: { type: "string" },
    "baseline-samples": { type: "string" },
    "default-server": { type: "boolean", default: false },
  },
  allowPositionals: false,
});

function wholeNumber(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min)
    throw new Error(`${name} must be a whole number ≥ ${min}, got ${raw}`);
  return n;
}

const SAMPLES = wholeNumber("--samples", opts.samples ?? process.env.LATENCY_SAMPLES, 500, 1);
/** Samples of the non-durable baseline, in the same run after the durable ones (0: none). */
const BASELINE_SAMPLES = wholeNumber(
  "--baseline-samples",
  opts["baseline-samples"],
  Math.min(SAMPLES, 200),
  0,
);
const WARMUP = wholeNumber("--warmup", opts.warmup, 10, 0);
const GAP_MS = wholeNumber("--gap-ms", opts["gap-ms"], 250, 0);
const FILLS = opts.fills === true;
/**
 * Dynamic config for the dev server (KEY=VALUE): by default what `npm start` gives its server
 * (DEV_SERVER_DYNAMIC_CONFIG); --default-server runs it untuned; --server-config adds to either.
 */
const SERVER_CONFIG = [
  ...(opts["default-server"] ? [] : DEV_SERVER_DYNAMIC_CONFIG),
  ...(opts["server-config"] ?? []),
];

/** Which entry path: armed (the streaming worker's Update to an armed position) or child (the session's child). */
const ENTRY = (opts.entry ?? "armed") as "armed" | "child";
if (ENTRY !== "armed" && ENTRY !== "child")
  throw new Error(`--entry must be armed or child, got ${opts.entry}`);

const WINDOW_MS = wholeNumber("--window-ms", opts["window-ms"], 300_000, 60_000);
/** MAX_REBALANCE_WAIT_MS: no new position in the last 5 s of a window. */
const FREEZE_MS = 5_000;
/** A sample starts only with at least this much time before the freeze. */
const SAMPLE_MARGIN_MS = 2_000;
const SAMPLE_TIMEOUT_MS = 5_000;
const BUDGET_PER_TRADE = "10";
/** Issue 8's goal for the durable path, and its ratio to the non-durable baseline. */
const AIM = { p50Ms: 15, p99Ms: 40, ratio: 2 };

const UP_ASK = 440_000;
const DOWN_ASK = 460_000;
const ASK_SIZE = 40_000_000;
const MAKER = "0x00000000000000000000000000000000000000a1";
/** Shares the maker mints in each window (a sample sells ~11 of each outcome with --fills). */
const MAKER_SHARES = 20_000_000_000;
const QUIET_MARKET = {
  lp: { levels: 0 },
  noise: { ratePerSec: 0 },
  informed: { ratePerSec: 0 },
  sweep: { ratePerMin: 0 },
  dislocation: { ratePerMin: 0 },
  rival: { probability: 0 },
};

/** Epoch ms with sub-millisecond resolution (the venue's events, t0 and t1). */
const wall = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------------------------------ teardown

/** The workers' output goes here; removed after a good run, kept (and its tail shown) after a failure. */
const logDir = mkdtempSync(path.join(os.tmpdir(), "ballast-latency-"));

const stops: { what: string; stop: () => Promise<void> }[] = [];
const children = new Set<ChildProcess>();
let tearingDown: Promise<void> | undefined;

function teardown(): Promise<void> {
  tearingDown ??= (async () => {
    for (const { what, stop } of stops.splice(0).reverse()) {
      await Promise.race([stop(), sleep(15_000)]).catch((err) =>
        console.error(`  (stopping ${what} failed: ${(err as Error).message})`),
      );
    }
  })();
  return tearingDown;
}

function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const force = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

// Last resort: whatever happens, no child outlives this process.
process.on("exit", () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    console.error(`\n${sig}: stopping…`);
    void teardown().finally(() => {
      rmSync(logDir, { recursive: true, force: true });
      process.exit(130);
    });
  });
}

// ------------------------------------------------------------------------------------------ the stack

async function startDatabase(): Promise<{ url: string; label: string }> {
  if (process.env.DATABASE_URL) {
    // A fresh database on that server, dropped at the end (the tests' helper).
    const db = await freshDatabase();
    stops.push({ what: "database", stop: () => db.close() });
    return { url: db.url, label: db.label };
  }
  const child = fork(path.join(__dirname, "latency-db.ts"), [], {
    execArgv: ["--require", "tsx/cjs"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  children.add(child);
  stops.push({ what: "database", stop: () => stopChild(child) });
  const url = await new Promise<string>((resolve, reject) => {
    child.once("message", (m) => resolve((m as { url: string }).url));
    child.once("exit", (code) => reject(new Error(`the database process exited (${code})`)));
  });
  return { url, label: "embedded PGlite (child process)" };
}

async function startTemporal(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createLocal({
    // Ballast's payload converter, as the workers': money in payloads is decimal text.
    client: { dataConverter: BALLAST_DATA_CONVERTER },
    server: {
      executable: { type: "existing-path", path: temporalCliPath() },
      searchAttributes: [...SEARCH_ATTRIBUTES],
      ip: "127.0.0.1",
      log: { format: "pretty", level: "error" },
      extraArgs: SERVER_CONFIG.flatMap((kv) => ["--dynamic-config-value", kv]),
    },
  });
  stops.push({ what: "Temporal dev server", stop: () => env.teardown() });
  return env;
}

function spawnWorker(role: "worker" | "streamer", env: NodeJS.ProcessEnv): ChildProcess {
  const log = openSync(path.join(logDir, `${role}.log`), "a");
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, "bin", "ballast.cjs"), role], {
    env,
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  children.add(child);
  child.once("exit", (code, signal) => {
    if (!tearingDown) failure ??= new Error(`the ${role} process exited (${signal ?? code}); see ${logDir}`);
  });
  stops.push({ what: role, stop: () => stopChild(child) });
  return child;
}

/** Set when something underneath died: the sample loop stops on it. */
let failure: Error | undefined;

async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    if (failure) throw failure;
    const value = await check().catch((err) => {
      last = (err as Error).message;
      return undefined;
    });
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (${last})` : ""}`);
    await sleep(100);
  }
}

// ------------------------------------------------------------------------------------------ history

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

function toNumber(v: unknown): number {
  if (typeof v === "number") return v;
  if (v && typeof (v as { toNumber?: () => number }).toNumber === "function")
    return (v as { toNumber: () => number }).toNumber();
  return Number(v);
}

function eventMs(e: HistoryEvent): number {
  const t = e.eventTime;
  return toNumber(t?.seconds) * 1000 + (t?.nanos ?? 0) / 1e6;
}

function decode<T>(payloads: temporal.api.common.v1.IPayloads | null | undefined): T | undefined {
  const p = payloads?.payloads?.[0];
  return p ? defaultPayloadConverter.fromPayload<T>(p as Payload) : undefined;
}

interface PositionTrace {
  startedAt: number;
  firstTaskStartedAt: number;
  book: MarketBookSnapshot;
  detectedAtMs: number;
  legs: { orderId: string; scheduledAt: number; startedAt: number; sentAtMs: number }[];
  /** The position's first status signal reached the session (ExternalWorkflowExecutionSignaled). */
  toldSessionAt: number;
}

/**
 * An armed position's history, once it has told its session it is done executing (its second status
 * signal: the first says it is executing); else undefined. `startedAt` is the accepting workflow task's
 * start (the Update's speculative task), `firstTaskStartedAt` the same.
 */
function armedTraceOf(events: HistoryEvent[]): PositionTrace | undefined {
  const told = events.filter(
    (e) =>
      e.externalWorkflowExecutionSignaledEventAttributes ||
      e.signalExternalWorkflowExecutionFailedEventAttributes,
  );
  const acceptedAt = events.findIndex((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
  if (told.length < 2 || acceptedAt < 0) return undefined;
  const accepted = events[acceptedAt]!.workflowExecutionUpdateAcceptedEventAttributes!;
  const request = decode<{ book: MarketBookSnapshot; detectedAtMs: number }>(
    accepted.acceptedRequest?.input?.args,
  );
  const task = events.slice(0, acceptedAt).findLast((e) => e.workflowTaskStartedEventAttributes);
  if (!request || !task) return undefined;
  return {
    startedAt: eventMs(task),
    firstTaskStartedAt: eventMs(task),
    book: request.book,
    detectedAtMs: request.detectedAtMs,
    legs: legsOf(events),
    toldSessionAt: eventMs(told[1]!),
  };
}

function legsOf(events: HistoryEvent[]): PositionTrace["legs"] {
  const scheduled = new Map<number, number>();
  const started = new Map<number, number>();
  const legs: PositionTrace["legs"] = [];
  for (const e of events) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s?.activityType?.name === "placeOrder") scheduled.set(toNumber(e.eventId), eventMs(e));
    const st = e.activityTaskStartedEventAttributes;
    if (st && scheduled.has(toNumber(st.scheduledEventId)))
      started.set(toNumber(st.scheduledEventId), eventMs(e));
    const c = e.activityTaskCompletedEventAttributes;
    const id = toNumber(c?.scheduledEventId);
    if (c && scheduled.has(id)) {
      const placed = decode<PlacedOrder>(c.result);
      if (placed)
        legs.push({
          orderId: placed.orderId,
          scheduledAt: scheduled.get(id)!,
          startedAt: started.get(id) ?? Number.NaN,
          sentAtMs: placed.sentAtMs,
        });
    }
  }
  return legs;
}

/** What a position's history says, once it has told its session it is done executing; else undefined. */
function traceOf(events: HistoryEvent[]): PositionTrace | undefined {
  if (ENTRY === "armed") return armedTraceOf(events);
  const told = events.find(
    (e) =>
      e.externalWorkflowExecutionSignaledEventAttributes ||
      e.signalExternalWorkflowExecutionFailedEventAttributes,
  );
  const first = events[0];
  if (!told || !first?.workflowExecutionStartedEventAttributes) return undefined;
  const input = decode<{ book: MarketBookSnapshot; detectedAtMs: number }>(
    first.workflowExecutionStartedEventAttributes.input,
  );
  const firstTask = events.find((e) => e.workflowTaskStartedEventAttributes);
  if (!input || !firstTask) return undefined;
  const legs = legsOf(events);
  return {
    startedAt: eventMs(first),
    firstTaskStartedAt: eventMs(firstTask),
    book: input.book,
    detectedAtMs: input.detectedAtMs,
    legs,
    toldSessionAt: eventMs(told),
  };
}

// ------------------------------------------------------------------------------------------ figures

const STAGES_CHILD = [
  ["venueToReceive", "venue → streamer receive"],
  ["receiveToDetect", "receive → detection (session)"],
  ["detectToStart", "detection → position started"],
  ["startToTask", "position started → its task starts"],
  ["taskToScheduled", "task → placeOrder scheduled"],
  ["scheduledToStarted", "scheduled → activity started"],
  ["startedToSent", "activity started → order sent"],
  ["sentToVenue", "sent → venue handler (HTTP)"],
  ["venueToEngine", "venue handler → engine (verify)"],
] as const;
/** Armed entry: detection in the streamer; detectToStart and startToTask are one hop (the Update's task). */
const STAGES_ARMED = [
  ["venueToReceive", "venue → streamer receive"],
  ["receiveToDetect", "receive → detection (streamer)"],
  ["detectToStart", "detection → Update's task starts"],
  ["taskToScheduled", "task → placeOrder scheduled (persisted)"],
  ["scheduledToStarted", "scheduled → activity started (eager)"],
  ["startedToSent", "activity started → order sent"],
  ["sentToVenue", "sent → venue handler (HTTP)"],
  ["venueToEngine", "venue handler → engine (verify)"],
] as const;
type Stage = (typeof STAGES_CHILD)[number][0];
const STAGES: readonly (readonly [Stage, string])[] = ENTRY === "armed" ? STAGES_ARMED : STAGES_CHILD;

interface Sample {
  slug: string;
  positionId: string;
  totalMs: number;
  stages: Record<Stage, number>;
  /** First order at the venue → the position told its session it is done executing. */
  settleMs: number;
  sentAtMs: number;
}

interface Figures {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

function figures(values: number[]): Figures {
  // Microsecond resolution; a stage can come out a hair negative (ms-rounded stamps), counted as 0.
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, autoResize: true });
  for (const v of values) h.recordValue(Math.max(0, Math.round(v * 1000)));
  const ms = (us: number) => Math.round(us) / 1000;
  const out = {
    count: values.length,
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    max: ms(h.maxValue),
    mean: Math.round(h.mean) / 1000,
  };
  h.destroy();
  return out;
}

const fmt = (v: number) => v.toFixed(1).padStart(8);

// ------------------------------------------------------------------------------------------ main

async function main() {
  const began = Date.now();
  /** Other work on the machine skews the figures: kept with them. */
  const loadAtStart = os.loadavg()[0] ?? 0;
  console.log(
    `latency bench (${ENTRY} entry): ${SAMPLES} samples (+${WARMUP} warm-up), ${FILLS ? "legs fill (--fills)" : "legs find nothing (positions end ABANDONED)"}, gap ${GAP_MS} ms, ${os.cpus().length} cores`,
  );

  // 1. The stack.
  const [db, env] = await Promise.all([startDatabase(), startTemporal()]);
  const venue: RunningVenue = await startVenue({
    port: 0,
    seed: 7,
    assets: ["BTC"],
    windowMs: WINDOW_MS,
    model: QUIET_MARKET,
  });
  stops.push({ what: "venue", stop: () => venue.close() });
  const engine = venue.simulation.engine;
  const ourKey = Wallet.createRandom().privateKey;
  const ourAddress = new Wallet(ourKey).address.toLowerCase();
  const configEnv = {
    CLOB_URL: venue.urls.clob,
    GAMMA_URL: venue.urls.gamma,
    WS_URL: venue.urls.ws,
    DATABASE_URL: db.url,
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_TASK_QUEUE: "latency",
    TEMPORAL_STREAMING_TASK_QUEUE: "latency-streaming",
    WINDOW_MS: String(WINDOW_MS),
    ASSETS: "BTC",
    BUDGET_PER_TRADE,
    MAX_REBALANCE_WAIT_MS: String(FREEZE_MS),
    MAX_POSITIONS_PER_WINDOW: "100000",
    ARB_ENTRY_PATH: ENTRY,
    // Open (filled) positions only wake for the window's end: idle timers of hundreds of positions
    // would otherwise load the worker (a bench artefact: a window normally holds a handful).
    REBALANCE_CHECK_INTERVAL_MS: String(3_600_000),
  };
  const config = loadConfig({ env: configEnv });
  const workerEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...configEnv,
    POLY_PRIVATE_KEY: ourKey,
    LOG_LEVEL: "warn",
  };
  const workerChildren = [spawnWorker("worker", workerEnv), spawnWorker("streamer", workerEnv)];
  // Funds for far more positions than the run opens ($10 each at most).
  engine.credit(ourAddress, 1_000_000_000_000);
  engine.credit(MAKER, 1_000_000_000_000);
  await ensureSchedulers(config, createLogger({ level: "warn" }));
  const client = env.client;
  console.log(
    `  stack up in ${((Date.now() - began) / 1000).toFixed(1)} s (database: ${db.label}; worker logs in ${logDir})`,
  );

  // 2. Watching the venue: our orders reaching the engine, the L2 auth of our requests, book changes.
  interface Arrival {
    at: number;
    authAt: number;
    id: string;
  }
  let watch: { orders: Arrival[]; done: () => void } | undefined;
  let lastAuthAt = Number.NaN;
  let lastBookChangeAt = 0;
  const pullMakerAsks = () => engine.cancelAll(MAKER, Date.now());
  const keys = venue.apiKeys;
  const getKey = keys.get.bind(keys);
  keys.get = (key: string) => {
    const k = getKey(key);
    if (k && k.address.toLowerCase() === ourAddress) lastAuthAt = wall();
    return k;
  };
  const submit = engine.submit.bind(engine);
  engine.submit = (req: OrderRequest, nowMs: number) => {
    const w = watch;
    if (!w || req.account.toLowerCase() !== ourAddress) return submit(req, nowMs);
    w.orders.push({ at: wall(), authAt: lastAuthAt, id: req.id });
    // Default mode: the dislocation vanishes as our first leg arrives, so no leg matches.
    if (w.orders.length === 1 && !FILLS) pullMakerAsks();
    const result = submit(req, nowMs);
    if (w.orders.length === 2) {
      pullMakerAsks();
      w.done();
    }
    return result;
  };
  engine.subscribe((e) => {
    if (e.kind === "level_changed" || e.kind === "last_trade" || e.kind === "tick_size_changed")
      lastBookChangeAt = wall();
  });

  // 3. The window: an open BTC market with time to go before the freeze, and its session fed.
  let active: { market: VenueMarket; n: number; upPosted: boolean } | undefined;
  let windowWaits = 0;
  const sessionState = async (slug: string) =>
    // biome-ignore lint/suspicious/noExplicitAny: query result is plain JSON
    (await client.workflow.getHandle(workflowIds.session(slug)).query(QUERIES.sessionState)) as any;
  async function openWindow() {
    for (;;) {
      if (failure) throw failure;
      const now = Date.now();
      const markets = venue.simulation.markets();
      const m = markets.find(
        (x) =>
          x.startMs <= now &&
          now < x.endMs - FREEZE_MS - SAMPLE_MARGIN_MS &&
          x.endMs - x.startMs === WINDOW_MS,
      );
      if (m) {
        if (active?.market.slug === m.slug) return active;
        pullMakerAsks();
        const split = engine.split(MAKER, m.conditionId, MAKER_SHARES, Date.now());
        if (!split.success) throw new Error(`maker split failed: ${split.errorMsg}`);
        const s = await eventually(
          `the session of ${m.slug} and its first book`,
          async () => {
            const st = await sessionState(m.slug);
            return st.lastBookSeq > 0 ? st : undefined;
          },
          180_000,
        );
        active = { market: m, n: s.positionsStarted, upPosted: false };
        return active;
      }
      const next = markets.filter((x) => x.startMs > now).sort((a, b) => a.startMs - b.startMs)[0];
      const waitMs = next ? Math.min(next.startMs - now + 50, 30_000) : 500;
      if (active) {
        windowWaits += 1;
        console.log(
          `  (window ${active.market.slug} is closing: waiting ${(waitMs / 1000).toFixed(1)} s for the next)`,
        );
        pullMakerAsks();
        active = undefined;
      }
      await sleep(waitMs);
    }
  }

  const ask = (tokenId: string, price: number) => {
    const r = engine.submit(
      {
        id: `0xlatency${++askSeq}`,
        owner: MAKER,
        account: MAKER,
        tokenId,
        side: "SELL",
        price,
        size: ASK_SIZE,
        type: "GTC",
        postOnly: true,
        expiresAtMs: 0,
      },
      Date.now(),
    );
    if (!r.success) throw new Error(`maker ask refused: ${r.errorMsg}`);
  };
  let askSeq = 0;

  /** Waits for the position's history to show it told the session; resyncs the count if it's not there. */
  async function settle(positionId: string): Promise<PositionTrace | undefined> {
    const deadline = Date.now() + 30_000;
    let missingSince: number | undefined;
    for (;;) {
      if (failure) throw failure;
      try {
        const history = await client.workflow.getHandle(positionId).fetchHistory();
        const trace = traceOf(history.events ?? []);
        if (trace) return trace;
        missingSince = undefined;
      } catch {
        missingSince ??= Date.now();
        if (Date.now() - missingSince > 3_000) return undefined;
      }
      if (Date.now() > deadline) throw new Error(`${positionId} did not finish executing in 30 s`);
      await sleep(10);
    }
  }

  /** After a failed sample: learn how many positions the session really started and let them settle. */
  async function resync(w: NonNullable<typeof active>) {
    pullMakerAsks();
    w.upPosted = false;
    await sleep(1_000);
    if (ENTRY === "armed") return; // the next sample asks the session which position is armed
    const s = await sessionState(w.market.slug);
    for (let k = w.n + 1; k <= s.positionsStarted; k++) await settle(workflowIds.position(w.market.slug, k));
    w.n = s.positionsStarted;
  }

  /** Until the book has been still for GAP_MS. */
  async function bookQuiet(): Promise<void> {
    for (;;) {
      const quietFor = wall() - lastBookChangeAt;
      if (quietFor >= GAP_MS) return;
      await sleep(Math.max(1, GAP_MS - quietFor));
    }
  }

  /** Posts the Down ask that completes a dislocation (t0); our orders reaching the engine, until both legs or the timeout. */
  async function dislocate(down: string): Promise<{ t0: number; orders: Arrival[] }> {
    let done!: () => void;
    const arrived = new Promise<void>((r) => {
      done = r;
    });
    const current = { orders: [] as Arrival[], done };
    watch = current;
    const t0 = wall();
    ask(down, DOWN_ASK);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([arrived, new Promise<void>((r) => (timer = setTimeout(r, SAMPLE_TIMEOUT_MS)))]);
    clearTimeout(timer);
    watch = undefined;
    return { t0, orders: current.orders };
  }

  /** The baseline's samples: t0 → the first order at the venue, through bench/latency-baseline.ts. */
  async function runBaseline(): Promise<number[]> {
    for (const c of workerChildren) await stopChild(c);
    // The workers are gone: their exits are not failures now.
    failure = undefined;
    const log = openSync(path.join(logDir, "baseline.log"), "a");
    const child = fork(path.join(__dirname, "latency-baseline.ts"), [], {
      env: workerEnv,
      execArgv: ["--require", "tsx/cjs"],
      stdio: ["ignore", log, log, "ipc"],
    });
    closeSync(log);
    children.add(child);
    stops.push({ what: "baseline", stop: () => stopChild(child) });
    await new Promise<void>((resolve, reject) => {
      child.once("message", () => resolve());
      child.once("exit", (code) => reject(new Error(`the baseline process exited (${code}); see ${logDir}`)));
    });
    const out: number[] = [];
    let market: VenueMarket | undefined;
    let failed = 0;
    console.log(`  baseline: ${BASELINE_SAMPLES} samples (+${WARMUP} warm-up), the feed posting directly`);
    while (out.length < WARMUP + BASELINE_SAMPLES) {
      if (failed > BASELINE_SAMPLES + 20) throw new Error(`too many failed baseline samples (${failed})`);
      const now = Date.now();
      const m = venue.simulation
        .markets()
        .find(
          (x) =>
            x.startMs <= now &&
            now < x.endMs - FREEZE_MS - SAMPLE_MARGIN_MS &&
            x.endMs - x.startMs === WINDOW_MS,
        );
      if (!m) {
        pullMakerAsks();
        market = undefined;
        await sleep(500);
        continue;
      }
      const [up, down] = m.tokenIds;
      if (market?.slug !== m.slug) {
        pullMakerAsks();
        const split = engine.split(MAKER, m.conditionId, MAKER_SHARES, Date.now());
        if (!split.success) throw new Error(`maker split failed: ${split.errorMsg}`);
        child.send({
          slug: m.slug,
          conditionId: m.conditionId,
          upTokenId: up,
          downTokenId: down,
          startMs: m.startMs,
          endMs: m.endMs,
          tickSize: m.tickSize,
          minOrderSize: m.minOrderSize,
          feeRate: m.feeRate,
          feeExponent: m.feeExponent,
        });
        market = m;
        await sleep(1_000); // its channels connect and take the first book
        ask(up, UP_ASK);
      }
      await bookQuiet();
      const { t0, orders } = await dislocate(down);
      const first = orders[0];
      ask(up, UP_ASK);
      if (!first || orders.length < 2) {
        failed += 1;
        console.log(`  baseline sample timed out: ${orders.length} order(s) reached the venue`);
        continue;
      }
      out.push(first.at - t0);
      // Both legs' answers are back before the next dislocation (the trigger allows one at a time).
      await sleep(50);
    }
    return out.slice(WARMUP);
  }

  // 4. The samples.
  const samples: Sample[] = [];
  /** Armed positions that took a sample (the next sample waits for a new one). */
  const usedArmed = new Set<string>();
  let timeouts = 0;
  let timeoutsAcrossContinueAsNew = 0;
  let attempts = 0;
  const loopStart = Date.now();
  while (samples.length < WARMUP + SAMPLES) {
    if (failure) throw failure;
    if (++attempts > (WARMUP + SAMPLES) * 2 + 20)
      throw new Error(`too many failed samples (${timeouts} timeouts)`);
    const w = await openWindow();
    const [up, down] = w.market.tokenIds;
    if (!w.upPosted) {
      ask(up, UP_ASK);
      w.upPosted = true;
    }
    // Which run of the session this sample starts with (a timed-out sample says whether it continued as new).
    const runBefore = (await client.workflow.getHandle(workflowIds.session(w.market.slug)).describe()).runId;
    // Let the book, the feed's conflator and the session go quiet.
    await bookQuiet();
    if (Date.now() >= w.market.endMs - FREEZE_MS - SAMPLE_MARGIN_MS) continue; // too late in the window
    // Armed entry: the position that will take this sample, armed by the session once the last one executed.
    let armedId: string | undefined;
    if (ENTRY === "armed") {
      armedId = await eventually(
        `an armed position on ${w.market.slug}`,
        async () => {
          const id = (await sessionState(w.market.slug)).armedPositionId as string | undefined;
          return id && !usedArmed.has(id) ? id : undefined;
        },
        30_000,
      ).catch(() => undefined);
      if (!armedId) continue;
    }

    const { t0, orders } = await dislocate(down);
    const first = orders[0];
    if (!first || orders.length < 2) {
      timeouts += 1;
      const runAfter = (await client.workflow.getHandle(workflowIds.session(w.market.slug)).describe()).runId;
      const state = await sessionState(w.market.slug).catch(() => undefined);
      console.log(
        `  sample timed out: ${orders.length} order(s) reached the venue in ${SAMPLE_TIMEOUT_MS} ms${runAfter !== runBefore ? " (the session continued as new meanwhile)" : ""}; t0 was ${((w.market.endMs - t0) / 1000).toFixed(1)} s before the window's end; session: ${JSON.stringify(state && { positionsStarted: state.positionsStarted, expected: w.n + 1, lastBookSeq: state.lastBookSeq, bestAsks: state.bestAsks, openPositions: state.openPositions?.length })}`,
      );
      if (runAfter !== runBefore) timeoutsAcrossContinueAsNew += 1;
      await resync(w);
      continue;
    }
    w.n += 1;
    const positionId = armedId ?? workflowIds.position(w.market.slug, w.n);
    if (armedId) usedArmed.add(armedId);
    // The next dislocation's first half, while this position finishes executing.
    ask(up, UP_ASK);
    const trace = await settle(positionId);
    if (!trace) {
      timeouts += 1;
      console.log(`  ${positionId} not found: resyncing with the session`);
      if (!armedId) w.n -= 1;
      await resync(w);
      continue;
    }
    const leg = trace.legs.find((l) => l.orderId === first.id);
    if (!leg)
      throw new Error(`${positionId}: no placeOrder result for the order that arrived first (${first.id})`);
    const t1 = first.at;
    samples.push({
      slug: w.market.slug,
      positionId,
      totalMs: t1 - t0,
      settleMs: trace.toldSessionAt - t1,
      sentAtMs: leg.sentAtMs,
      stages: {
        // Armed: one hop, the Update's workflow task (startToTask is not a stage there).
        venueToReceive: trace.book.receivedAtMs - t0,
        receiveToDetect: trace.detectedAtMs - trace.book.receivedAtMs,
        detectToStart: trace.startedAt - trace.detectedAtMs,
        startToTask: trace.firstTaskStartedAt - trace.startedAt,
        taskToScheduled: leg.scheduledAt - trace.firstTaskStartedAt,
        scheduledToStarted: leg.startedAt - leg.scheduledAt,
        startedToSent: leg.sentAtMs - leg.startedAt,
        sentToVenue: first.authAt - leg.sentAtMs,
        venueToEngine: t1 - first.authAt,
      },
    });
    const measured = samples.length - WARMUP;
    if (measured === 0 && WARMUP > 0) console.log(`  ${WARMUP} warm-up samples done`);
    if (measured > 0 && (measured % 50 === 0 || measured === SAMPLES)) {
      const last = figures(samples.slice(-Math.min(50, measured)).map((s) => s.totalMs));
      console.log(
        `  ${String(measured).padStart(4)}/${SAMPLES}  last ${last.count}: p50 ${last.p50.toFixed(1)} ms, p99 ${last.p99.toFixed(1)} ms, max ${last.max.toFixed(1)} ms  (${((Date.now() - loopStart) / 1000).toFixed(0)} s)`,
      );
    }
  }

  // 5. Cross-check with trade_telemetry.order_placed_at (the earliest leg's sentAtMs).
  const measured = samples.slice(WARMUP);
  const pool = new Pool({ connectionString: db.url, max: 1 });
  let telemetryAgrees = 0;
  let telemetryRows = 0;
  try {
    const { rows } = await pool.query<{ trade_id: string; order_placed_at: Date | null }>(
      "SELECT trade_id, order_placed_at FROM trade_telemetry WHERE trade_id = ANY($1)",
      [measured.map((s) => s.positionId)],
    );
    const placedAt = new Map(rows.map((r) => [r.trade_id, r.order_placed_at?.getTime()]));
    telemetryRows = rows.length;
    for (const s of measured) {
      const t = placedAt.get(s.positionId);
      if (t !== undefined && t <= s.sentAtMs) telemetryAgrees += 1;
    }
  } finally {
    await pool.end();
  }

  // 6. The baseline (same run, same machine): the workers stopped, the feed's code with the Update replaced
  // by a direct placeOrder from its process (bench/latency-baseline.ts).
  const baseline = BASELINE_SAMPLES > 0 ? await runBaseline() : [];

  // 7. The figures.
  const total = figures(measured.map((s) => s.totalMs));
  const stages = Object.fromEntries(
    STAGES.map(([k]) => [k, figures(measured.map((s) => s.stages[k]))]),
  ) as Record<Stage, Figures>;
  const settleFig = figures(measured.map((s) => s.settleMs));
  const blocks: { samples: string; p50: number; p99: number }[] = [];
  for (let i = 0; i < measured.length; i += 100) {
    const f = figures(measured.slice(i, i + 100).map((s) => s.totalMs));
    blocks.push({ samples: `${i + 1}–${Math.min(i + 100, measured.length)}`, p50: f.p50, p99: f.p99 });
  }
  const met =
    total.p50 <= AIM.p50Ms &&
    total.p99 <= AIM.p99Ms &&
    (baseline.length === 0 || total.p50 <= AIM.ratio * figures(baseline).p50);

  console.log(`\ntick-to-order latency, ${total.count} samples (ms)`);
  console.log(
    `  ${"stage".padEnd(38)}${["p50", "p90", "p99", "max", "mean"].map((h) => h.padStart(8)).join("")}`,
  );
  for (const [k, label] of STAGES) {
    const f = stages[k];
    console.log(`  ${label.padEnd(38)}${fmt(f.p50)}${fmt(f.p90)}${fmt(f.p99)}${fmt(f.max)}${fmt(f.mean)}`);
  }
  console.log(
    `  ${"TOTAL t0 → first order at venue".padEnd(38)}${fmt(total.p50)}${fmt(total.p90)}${fmt(total.p99)}${fmt(total.max)}${fmt(total.mean)}`,
  );
  console.log(
    `  (then first order → position done executing: p50 ${settleFig.p50.toFixed(1)} ms, p99 ${settleFig.p99.toFixed(1)} ms)`,
  );
  console.log(
    `  by 100 samples: ${blocks.map((b) => `${b.samples} p50 ${b.p50.toFixed(1)}/p99 ${b.p99.toFixed(1)}`).join("; ")}`,
  );
  console.log(
    `  ${timeouts} failed sample(s) retried (${timeoutsAcrossContinueAsNew} across a session continue-as-new), ${windowWaits} wait(s) for a window; trade_telemetry.order_placed_at agrees for ${telemetryAgrees}/${measured.length} (${telemetryRows} rows)`,
  );
  const base = baseline.length > 0 ? figures(baseline) : undefined;
  const ratio = base ? Math.round((total.p50 / base.p50) * 100) / 100 : undefined;
  if (base) {
    console.log(
      `  ${"BASELINE (no Temporal, same feed code)".padEnd(38)}${fmt(base.p50)}${fmt(base.p90)}${fmt(base.p99)}${fmt(base.max)}${fmt(base.mean)}`,
    );
    console.log(`  durable / baseline p50: ${ratio}× (aim ≤ ${AIM.ratio}×)`);
  }
  console.log(
    `  aim p50 ≤ ${AIM.p50Ms} ms, p99 ≤ ${AIM.p99Ms} ms${base ? `, ratio ≤ ${AIM.ratio}×` : ""}: ${met ? "met" : "NOT met"} (p50 ${total.p50.toFixed(1)} ms, p99 ${total.p99.toFixed(1)} ms)`,
  );

  const result = {
    at: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model,
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      platform: `${os.platform()} ${os.release()}`,
      node: process.version,
      loadAverage1m: {
        atStart: Math.round(loadAtStart * 100) / 100,
        atEnd: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
      },
    },
    setup: {
      entry: ENTRY,
      mode: FILLS ? "fills" : "no-fill (positions abandoned)",
      database: db.label,
      temporalServerConfig: SERVER_CONFIG,
      windowMs: WINDOW_MS,
      maxRebalanceWaitMs: FREEZE_MS,
      gapMs: GAP_MS,
      warmup: WARMUP,
      dislocation: { upAsk: UP_ASK / 1e6, downAsk: DOWN_ASK / 1e6, depth: ASK_SIZE / 1e6 },
    },
    samples: total.count,
    failedSamples: timeouts,
    failedAcrossContinueAsNew: timeoutsAcrossContinueAsNew,
    windowWaits,
    totalMs: total,
    stagesMs: stages,
    baselineMs: base ?? null,
    ratioP50: ratio ?? null,
    orderToSettledMs: settleFig,
    byHundred: blocks,
    telemetryCrossCheck: { agrees: telemetryAgrees, of: measured.length },
    aim: AIM,
    met,
    runSeconds: Math.round((Date.now() - began) / 1000),
  };
  writeFileSync(path.join(__dirname, "latency.last.json"), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`  saved bench/latency.last.json (run ${result.runSeconds} s)`);
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

main()
  .then(async () => {
    await teardown();
    rmSync(logDir, { recursive: true, force: true });
    process.exit(0);
  })
  .catch(async (err) => {
    console.error(err);
    await teardown();
    for (const role of ["worker", "streamer"]) {
      const text = tail(path.join(logDir, `${role}.log`));
      if (text) console.error(`--- last lines of the ${role}'s log (${logDir}):\n${text}`);
    }
    process.exit(1);
  });
