/**
 * Supervision of the embedded stack's processes (`ballast start`): a child that dies is restarted
 * with backoff, and given up on when it keeps dying; the stack stops in a fixed order.
 *
 * Nothing here knows what the processes are: a child is anything with an `exited` promise and a
 * `kill`, so the rules are tested with fake children (tests/cli/supervisor.test.ts).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";

/** How a process ended: an exit code, or the signal that killed it (then `code` is null). */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** What it last said, when that explains the exit. */
  detail?: string | undefined;
}

/** "exited with code 1" / "was killed by SIGKILL", and the detail if any. */
export function describeExit(exit: ExitInfo): string {
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code ?? "unknown"}`;
  return exit.detail ? `${how}: ${exit.detail}` : how;
}

/** A process the supervisor watches and stops. */
export interface Supervisable {
  readonly pid: number | undefined;
  /** Settles once, when the process has ended (never rejects). */
  readonly exited: Promise<ExitInfo>;
  /** Sends a signal; does nothing once the process has ended. */
  kill(signal: NodeJS.Signals): void;
}

// ---------------------------------------------------------------------------------------------------------
// Restart policy

export interface RestartPolicy {
  /** Delay before the first restart; it doubles with every further death within `periodMs`. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** More than this many deaths within `periodMs` and the supervisor gives up. */
  maxDeaths: number;
  periodMs: number;
}

export type RestartDecision =
  | { giveUp: true; deaths: number }
  | { giveUp: false; deaths: number; delayMs: number };

/**
 * What to do after a death, given the times of every death so far (the latest last): restart after
 * a delay that doubles with each death within the period, or give up when there were more than
 * `maxDeaths` of them.
 */
export function restartDecision(
  deathTimes: readonly number[],
  now: number,
  policy: RestartPolicy,
): RestartDecision {
  const deaths = deathTimes.filter((t) => now - t < policy.periodMs).length;
  if (deaths > policy.maxDeaths) return { giveUp: true, deaths };
  const delayMs = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, deaths - 1));
  return { giveUp: false, deaths, delayMs };
}

// ---------------------------------------------------------------------------------------------------------
// A supervised process

export type SupervisorEvent =
  | {
      type: "died";
      name: string;
      pid: number | undefined;
      exit: ExitInfo;
      deaths: number;
      restartInMs: number;
    }
  | { type: "start-failed"; name: string; error: Error; deaths: number; restartInMs: number }
  | { type: "restarted"; name: string; pid: number | undefined }
  | { type: "gave-up"; name: string; reason: string; deaths: number; periodMs: number };

/** Why a supervisor gave up: one line for the operator. */
export class SupervisorGaveUp extends Error {
  constructor(
    readonly processName: string,
    message: string,
  ) {
    super(message);
    this.name = "SupervisorGaveUp";
  }
}

export interface SupervisorOptions {
  name: string;
  /** Starts the process; a start that throws counts as a death. The signal aborts a start in progress. */
  start: (signal: AbortSignal) => Promise<Supervisable>;
  policy: RestartPolicy;
  onEvent?: (event: SupervisorEvent) => void;
  now?: () => number;
  /** Waits `ms`, or until the signal aborts (then it resolves early). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

function describePeriod(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`;
}

/**
 * Keeps one process running: restarts it with backoff when it dies (until `stop`), and gives up —
 * `failed` settles — when it dies more than `policy.maxDeaths` times within `policy.periodMs`.
 */
export class SupervisedProcess {
  readonly name: string;
  /** Settles (never rejects) when the supervisor has given up; the process then stays down. */
  readonly failed: Promise<SupervisorGaveUp>;
  private resolveFailed!: (err: SupervisorGaveUp) => void;
  private child: Supervisable | undefined;
  private readonly deathTimes: number[] = [];
  private readonly stopping = new AbortController();
  /** The restart cycle in progress (waiting out the backoff, or starting), if any. */
  private restarting: Promise<void> | undefined;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;

  constructor(private readonly options: SupervisorOptions) {
    this.name = options.name;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? abortableSleep;
    this.failed = new Promise((resolve) => {
      this.resolveFailed = resolve;
    });
  }

  /** The running process, if one is running. */
  get current(): Supervisable | undefined {
    return this.child;
  }

  /** The first start. Its failure is the caller's (thrown), not a death. */
  async start(): Promise<Supervisable> {
    const child = await this.options.start(this.stopping.signal);
    this.adopt(child);
    return child;
  }

  private adopt(child: Supervisable): void {
    this.child = child;
    void child.exited.then((exit) => {
      if (this.child === child) this.child = undefined;
      if (this.stopping.signal.aborted) return;
      this.restarting = this.afterDeath({ pid: child.pid, exit });
    });
  }

  private async afterDeath(
    cause: { pid: number | undefined; exit: ExitInfo } | { error: Error },
  ): Promise<void> {
    const name = this.name;
    const policy = this.options.policy;
    this.deathTimes.push(this.now());
    const decision = restartDecision(this.deathTimes, this.now(), policy);
    if (decision.giveUp) {
      const last = "exit" in cause ? describeExit(cause.exit) : `could not start: ${cause.error.message}`;
      const reason = `the ${name} died ${decision.deaths} times within ${describePeriod(policy.periodMs)} (last: ${last})`;
      this.options.onEvent?.({
        type: "gave-up",
        name,
        reason,
        deaths: decision.deaths,
        periodMs: policy.periodMs,
      });
      this.resolveFailed(new SupervisorGaveUp(name, reason));
      return;
    }
    if ("exit" in cause) {
      this.options.onEvent?.({
        type: "died",
        name,
        pid: cause.pid,
        exit: cause.exit,
        deaths: decision.deaths,
        restartInMs: decision.delayMs,
      });
    } else {
      this.options.onEvent?.({
        type: "start-failed",
        name,
        error: cause.error,
        deaths: decision.deaths,
        restartInMs: decision.delayMs,
      });
    }
    await this.sleep(decision.delayMs, this.stopping.signal);
    if (this.stopping.signal.aborted) return;
    let child: Supervisable;
    try {
      child = await this.options.start(this.stopping.signal);
    } catch (error) {
      if (this.stopping.signal.aborted) return;
      return this.afterDeath({ error: error as Error });
    }
    if (this.stopping.signal.aborted) {
      // Stopped while it was starting: stop() is waiting for this cycle, and stops it.
      this.child = child;
      return;
    }
    this.options.onEvent?.({ type: "restarted", name, pid: child.pid });
    this.adopt(child);
  }

  /** No more restarts from now on (a restart in progress is cancelled); a running process keeps running. */
  noMoreRestarts(): void {
    this.stopping.abort();
  }

  /**
   * Stops for good: no more restarts; the process gets `signal`, then SIGKILL after `timeoutMs`.
   * Resolves once it has ended. Safe to call more than once.
   */
  async stop(options: { signal?: NodeJS.Signals; timeoutMs: number }): Promise<ExitInfo | undefined> {
    this.stopping.abort();
    await this.restarting;
    const child = this.child;
    if (!child) return undefined;
    child.kill(options.signal ?? "SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        child.kill("SIGKILL");
        resolve();
      }, options.timeoutMs);
    });
    await Promise.race([child.exited, killed]);
    clearTimeout(timer);
    const exit = await child.exited;
    this.child = undefined;
    return exit;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Ordered shutdown

export interface ShutdownStep<P extends string> {
  phase: P;
  /** Says what stopped, for the operator ("the venue simulator"). */
  label: string;
  stop: () => Promise<void>;
}

/**
 * Stops registered parts phase by phase in a fixed order; the steps of one phase run together. A
 * step that fails is reported and the rest still run. `run()` is idempotent.
 */
export class OrderedShutdown<P extends string> {
  private readonly steps: ShutdownStep<P>[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly order: readonly P[],
    private readonly report: {
      stopped?: (step: ShutdownStep<P>, ms: number) => void;
      failed?: (step: ShutdownStep<P>, err: Error) => void;
    } = {},
  ) {}

  add(phase: P, label: string, stop: () => Promise<void>): void {
    if (this.running) throw new Error(`shutdown already started; cannot add ${label}`);
    this.steps.push({ phase, label, stop });
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      for (const phase of this.order) {
        await Promise.all(
          this.steps
            .filter((s) => s.phase === phase)
            .map(async (step) => {
              const t0 = Date.now();
              try {
                await step.stop();
                this.report.stopped?.(step, Date.now() - t0);
              } catch (err) {
                this.report.failed?.(step, err as Error);
              }
            }),
        );
      }
    })();
    return this.running;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Child processes

/** Every child spawned for the stack that has not ended yet, and whether it leads its own process group. */
const liveChildren = new Map<ChildProcess, { group: boolean }>();

/** Tracks a child until it ends, so that killTrackedChildren reaches it. */
export function trackChild(child: ChildProcess, options: { group: boolean }): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  liveChildren.set(child, options);
  child.once("exit", () => liveChildren.delete(child));
}

function signalChild(child: ChildProcess, group: boolean, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    // A detached child leads its group: signal it and anything it started.
    process.kill(group ? -child.pid : child.pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Sends `signal` (SIGKILL by default) to every tracked child that is still running, synchronously:
 * usable in a process "exit" listener, the last moment of this process. Returns how many it signalled.
 */
export function killTrackedChildren(signal: NodeJS.Signals = "SIGKILL"): number {
  let n = 0;
  for (const [child, { group }] of liveChildren) {
    signalChild(child, group, signal);
    n++;
  }
  return n;
}

let pdeathsigSupported: boolean | undefined;

/**
 * A command prefix that has the kernel send SIGTERM to the child when this process dies, however it
 * dies (SIGKILL included): `setpriv --pdeathsig` on Linux; nothing elsewhere.
 */
export function dieWithParentPrefix(): string[] {
  if (process.platform !== "linux") return [];
  pdeathsigSupported ??=
    spawnSync("setpriv", ["--pdeathsig", "TERM", "--", "true"], { stdio: "ignore" }).status === 0;
  return pdeathsigSupported ? ["setpriv", "--pdeathsig", "TERM", "--"] : [];
}

/** Calls `onLine` for every line the child writes to stdout or stderr (or drains them). */
function readLines(
  child: ChildProcess,
  onLine: ((line: string, stream: "stdout" | "stderr") => void) | undefined,
): void {
  for (const stream of ["stdout", "stderr"] as const) {
    const readable = child[stream];
    if (!readable) continue;
    if (!onLine) {
      readable.resume();
      continue;
    }
    createInterface({ input: readable, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (line) =>
      onLine(line, stream),
    );
  }
}

/** A ChildProcess as a Supervisable: `exited` is made at once, so no exit is ever missed. */
export function supervisable(child: ChildProcess, options: { group: boolean }): Supervisable {
  trackChild(child, options);
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    // A child that could not be spawned at all never emits "exit".
    child.on("error", () => {
      if (child.pid === undefined) resolve({ code: null, signal: null });
    });
  });
  return {
    get pid() {
      return child.pid;
    },
    exited,
    kill: (signal) => signalChild(child, options.group, signal),
  };
}

/**
 * Spawns a child in its own process group, so that a terminal's Ctrl-C reaches only the supervisor
 * (which then stops the children in order), with its output read line by line.
 */
export function spawnChild(
  command: string,
  args: readonly string[],
  options: {
    env?: NodeJS.ProcessEnv;
    /** Adds an IPC channel: a Node child sees it close ("disconnect") when this process dies. */
    ipc?: boolean;
    onLine?: (line: string, stream: "stdout" | "stderr") => void;
  } = {},
): Supervisable & { process: ChildProcess } {
  const child = spawn(command, args, {
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe", ...(options.ipc ? (["ipc"] as const) : [])],
    detached: true,
  });
  readLines(child, options.onLine);
  return Object.assign(supervisable(child, { group: true }), { process: child });
}
