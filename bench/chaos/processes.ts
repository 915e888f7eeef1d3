/**
 * The workflow workers and the streaming workers of one trial, as child processes (`node bin/ballast.cjs
 * worker|streamer`, exactly as deployed), supervised the way a deployment's process manager would: a
 * process that ends without being killed by the harness is started again after a second (and counted,
 * with how it ended, so a report shows it). Output goes to one log file per instance.
 *
 * An instance is named by its role, with a number for the second and later of a role ("streamer",
 * "streamer-2"): most trials run one of each, the scale-out trial two of each.
 */
import type { ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import path from "node:path";
import { killHard, spawnBallast } from "../../tests/helpers/stack";

export type Role = "worker" | "streamer";
export const ROLES: readonly Role[] = ["worker", "streamer"];
/** "worker", "streamer", "worker-2", "streamer-2", … */
export type Instance = Role | `${Role}-${number}`;

export function roleOf(instance: Instance): Role {
  return instance.split("-")[0] as Role;
}

/** The instances of `count` processes of a role: "streamer", "streamer-2", … */
export function instancesOf(role: Role, count: number): Instance[] {
  return Array.from({ length: count }, (_, i) => (i === 0 ? role : (`${role}-${i + 1}` as Instance)));
}

const RESTART_DELAY_MS = 1_000;

export class WorkerProcesses {
  readonly #children = new Map<Instance, ChildProcess>();
  readonly #timers = new Set<NodeJS.Timeout>();
  /** Ends nobody asked for: role and how it ended. */
  readonly unexpectedExits: { role: Instance; how: string; atMs: number }[] = [];
  #closed = false;

  constructor(
    readonly env: NodeJS.ProcessEnv,
    readonly logDir: string,
  ) {}

  logFile(role: Instance): string {
    return path.join(this.logDir, `${role}.log`);
  }

  running(role: Instance): boolean {
    const c = this.#children.get(role);
    return c !== undefined && c.exitCode === null && c.signalCode === null;
  }

  /** The process id of a running instance (a Temporal worker's default identity is `pid@host`). */
  pid(role: Instance): number | undefined {
    return this.running(role) ? this.#children.get(role)?.pid : undefined;
  }

  /** The running instance with this process id. */
  instanceOfPid(pid: number): Instance | undefined {
    for (const [role, child] of this.#children) if (child.pid === pid && this.running(role)) return role;
    return undefined;
  }

  start(role: Instance): void {
    if (this.#closed || this.running(role)) return;
    const log = openSync(this.logFile(role), "a");
    const child = spawnBallast(roleOf(role), this.env, ["ignore", log, log]);
    closeSync(log);
    this.#children.set(role, child);
    child.once("exit", (code, signal) => {
      if (this.#children.get(role) !== child || this.#closed) return;
      this.#children.delete(role);
      this.unexpectedExits.push({ role, how: String(signal ?? code), atMs: Date.now() });
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.start(role);
      }, RESTART_DELAY_MS);
      this.#timers.add(timer);
    });
  }

  /** SIGKILL (not counted as unexpected); resolves once it has ended. */
  async kill(role: Instance): Promise<void> {
    const child = this.#children.get(role);
    this.#children.delete(role);
    if (child) await killHard(child);
  }

  /** Kills every process for good (no restarts after this). */
  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    await Promise.all([...this.#children.keys()].map((r) => this.kill(r)));
  }

  /** The last lines a role wrote. */
  tail(role: Instance, lines = 20): string {
    try {
      return readFileSync(this.logFile(role), "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
      return "";
    }
  }
}
