/**
 * npm run chaos — kills the deployment's processes at the moments that matter and checks, from the
 * venue's own records, that nothing was lost or done twice (issue 12).
 *
 *   npm run chaos -- --trials 30                     every kill point × target, and every fault soak, once
 *   npm run chaos -- --trials 8 --only held          one kill point (comma-separated for several)
 *   npm run chaos -- --trials 2 --only ws-drop       one fault soak
 *   npm run chaos -- --trials 1 --only fills --target temporal --seed 7    reproduce one trial
 *   npm run chaos -- --fuzz [--frames 1000000]       fuzz the frame decoder and the channel client
 *   npm run chaos -- --trials 100 --jobs 3           three trials at a time, each on its own server
 *   npm run chaos -- --trials 3 --scale-out          2 workers + 2 streamers + `ballast scheduler`, 4 assets;
 *                                                    one streamer killed for good, its feeds must move
 *
 * Each trial (bench/chaos/trial.ts) runs a scripted market on a fresh venue simulator with the workers
 * as child processes, kills one target with SIGKILL at its kill point, restarts it, lets the window
 * resolve and counts violations of each invariant (bench/chaos/invariants.ts). A trial takes about
 * 90–120 s (a 60 s window, aligned to the clock, and its resolution), mostly waiting; with --jobs N,
 * N trials run at a time, each job with its own Temporal dev server (a trial that kills the server
 * must not take another job's trial down with it). Prints a line per trial, then a table per
 * kill point and target, and keeps the result in bench/chaos.last.json (scale-out runs in
 * bench/chaos-scale-out.last.json). Exits 1 if any invariant was
 * violated or a trial could not be run.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { type FuzzReport, fuzzChannelClient, fuzzClean, fuzzDecoder } from "./chaos/fuzz";
import { ChaosHarness, formatSummary, INVARIANTS, summarize, violations } from "./chaos/harness";
import {
  FAULT_NAMES,
  type FaultName,
  KILL_POINTS,
  KILL_TARGETS,
  type KillPoint,
  type KillTarget,
  SCALE_OUT,
  scaleOutSchedule,
  schedule,
} from "./chaos/matrix";
import type { TrialResult } from "./chaos/trial";

function wholeNumber(min: number) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < min)
      throw new InvalidArgumentError(`must be a whole number ≥ ${min}`);
    return n;
  };
}

function listOf<T extends string>(allowed: readonly T[]) {
  return (raw: string): T[] => {
    const items = raw.split(",").map((s) => s.trim());
    const bad = items.filter((i) => !allowed.includes(i as T));
    if (bad.length)
      throw new InvalidArgumentError(`unknown: ${bad.join(", ")} (one of ${allowed.join(", ")})`);
    return items as T[];
  };
}

const LAST = path.join(__dirname, "chaos.last.json");
/** Scale-out runs and armed-entry runs keep theirs apart, so that neither replaces the matrix's last result. */
const LAST_SCALE_OUT = path.join(__dirname, "chaos-scale-out.last.json");
const LAST_ARMED = path.join(__dirname, "chaos-armed.last.json");

/** The command that runs one trial again. */
function reproduce(r: TrialResult): string {
  const which =
    r.point === "scale-out"
      ? "--scale-out"
      : r.point === "soak"
        ? `--only ${r.target}`
        : `--only ${r.point} --target ${r.target}`;
  return `npm run chaos -- --trials 1 ${which}${r.entry === "armed" ? " --entry armed" : ""} --seed ${r.seed}`;
}

function readLast(file = LAST): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
}

function writeLast(value: unknown, file = LAST): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

function git(...args: string[]): string | undefined {
  const r = spawnSync("git", args, { cwd: path.join(__dirname, ".."), encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

const program = new Command()
  .name("npm run chaos --")
  .description(
    "kill workers, streamers and the Temporal server at the moments that matter; check the venue's records",
  )
  .option("-n, --trials <n>", "how many trials", wholeNumber(1), 30)
  .option(
    "--only <points>",
    `kill points and fault soaks, comma-separated (${[...KILL_POINTS, ...FAULT_NAMES].join(", ")})`,
    listOf([...KILL_POINTS, ...FAULT_NAMES]),
  )
  .option(
    "--target <targets>",
    `kill targets, comma-separated (${KILL_TARGETS.join(", ")})`,
    listOf(KILL_TARGETS),
  )
  .option(
    "--scale-out",
    `scale-out trials instead: ${SCALE_OUT.workers} workflow workers, ${SCALE_OUT.streamers} streaming workers and \`ballast scheduler\` as processes on ${SCALE_OUT.assets.length} assets; the streamer hosting our market's feed killed for good`,
  )
  .addOption(
    new Option(
      "--entry <path>",
      "ARB_ENTRY_PATH of every trial's deployment (default: the configuration's, child)",
    ).choices(["child", "armed"]),
  )
  .option("-j, --jobs <n>", "trials run at a time, each job on its own Temporal server", wholeNumber(1), 1)
  .option("--seed <n>", "seed of the first trial (trial i uses seed + i − 1)", wholeNumber(0), 1)
  .option("--keep-logs", "keep every trial's logs, not only those of failed trials")
  .option("--fuzz", "fuzz the frame decoder and the channel client instead (with --trials too: both)")
  .option("--frames <n>", "frames per fuzz target", wholeNumber(1), 1_000_000)
  .option("--verbose", "print every trial's details (orders, fills, workflows), not only failed ones")
  .showHelpAfterError();

async function main(): Promise<number> {
  program.parse();
  const opts = program.opts<{
    trials: number;
    only?: (KillPoint | FaultName)[];
    target?: KillTarget[];
    seed: number;
    jobs: number;
    keepLogs?: boolean;
    verbose?: boolean;
    fuzz?: boolean;
    frames: number;
    scaleOut?: boolean;
    entry?: "child" | "armed";
  }>();
  const runTrials = !opts.fuzz || program.getOptionValueSource("trials") === "cli";
  const last = readLast();
  let fuzz: unknown = last?.fuzz ?? null;
  let fuzzOk = true;
  if (opts.fuzz) {
    const reports: FuzzReport[] = [];
    for (const [name, run] of [
      ["decoder", () => Promise.resolve(fuzzDecoder(opts.frames, opts.seed))],
      ["channel client", () => fuzzChannelClient(opts.frames, opts.seed)],
    ] as const) {
      console.log(`fuzzing the ${name} with ${opts.frames} generated frames (seed ${opts.seed})…`);
      const r = await run();
      reports.push(r);
      console.log(
        `  ${fuzzClean(r) ? "ok" : "FAILED"}: ${r.frames} frames (${Object.entries(r.byKind)
          .map(([k, n]) => `${k} ${n}`)
          .join(
            ", ",
          )}); ${r.events} events decoded, ${r.unknown} unknown and ${r.malformed} malformed reported once each; ${r.failures} failure(s), ${r.crashes} crash(es)${r.delivered !== undefined ? `; ${r.delivered} delivered, ${r.reconnects} reconnect(s), ${r.clientErrors} client error(s)` : ""}; ${(r.ms / 1000).toFixed(1)} s`,
      );
      for (const e of r.examples) console.log(`    ${e}`);
    }
    fuzzOk = reports.every(fuzzClean);
    fuzz = { at: new Date().toISOString(), seed: opts.seed, frames: opts.frames, ok: fuzzOk, reports };
    if (!runTrials) {
      writeLast({ ...(last ?? {}), fuzz });
      console.log("saved bench/chaos.last.json (fuzz)");
      return fuzzOk ? 0 : 1;
    }
  }
  const points = opts.only?.filter((o): o is KillPoint => (KILL_POINTS as readonly string[]).includes(o));
  const faults = opts.only?.filter((o): o is FaultName => (FAULT_NAMES as readonly string[]).includes(o));
  if (opts.scaleOut && (opts.only || opts.target)) {
    console.error("--scale-out runs its own trial: it takes no --only or --target");
    return 2;
  }
  const specs = opts.scaleOut
    ? scaleOutSchedule(opts.trials, opts.seed)
    : schedule(opts.trials, {
        ...(points?.length ? { points } : {}),
        ...(faults?.length ? { faults } : {}),
        ...(opts.target ? { targets: opts.target } : {}),
        seed: opts.seed,
      });
  const began = Date.now();
  const loadAtStart = os.loadavg()[0] ?? 0;
  console.log(`chaos: ${specs.length} trial(s), ${os.cpus().length} cores, load ${loadAtStart.toFixed(2)}`);
  const jobs = Math.min(opts.jobs, specs.length);
  const harnesses: ChaosHarness[] = [];
  const results: TrialResult[] = [];
  let stopping = false;
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      console.error(`\n${sig}: stopping after the current trial${jobs > 1 ? "s" : ""}…`);
      stopping = true;
    });
  }
  const queue = [...specs];
  const runJob = async (harness: ChaosHarness): Promise<void> => {
    for (let spec = queue.shift(); spec && !stopping; spec = queue.shift()) {
      const tag = `trial ${spec.index}/${specs.length}`;
      console.log(`${tag}: ${spec.point} × ${spec.target} (seed ${spec.seed})`);
      const r = await harness.run(spec);
      results.push(r);
      const counts = INVARIANTS.map((k) => `${k} ${r[k]}`).join(", ");
      console.log(
        `  ${jobs > 1 ? `${tag} ` : ""}→ ${r.error ? `ERROR ${r.error}` : violations(r) ? "VIOLATED" : "ok"}: ${counts}; ${r.landed ? "landed" : "did not land"} (${r.moment}); story ${JSON.stringify(r.story)}; ${r.seconds} s${r.unexpectedExits.length ? `; unexpected exits: ${r.unexpectedExits.join(", ")}` : ""}${r.logDir ? `; logs in ${r.logDir}` : ""}`,
      );
      if (r.error || violations(r) || opts.verbose) console.log(`    details: ${JSON.stringify(r.details)}`);
      if (r.error || violations(r)) {
        console.log(`    reproduce: ${reproduce(r)}`);
      }
    }
  };
  try {
    for (let j = 0; j < jobs; j++) {
      harnesses.push(
        await ChaosHarness.start({
          log: (line) => console.log(jobs > 1 ? `[job ${j + 1}] ${line}` : line),
          ...(opts.keepLogs ? { keepLogs: true } : {}),
          ...(opts.entry ? { entry: opts.entry } : {}),
        }),
      );
    }
    await Promise.all(harnesses.map(runJob));
  } finally {
    await Promise.all(harnesses.map((h) => h.close(results)));
  }
  results.sort((a, b) => a.index - b.index);

  const summary = summarize(results);
  console.log(`\n${formatSummary(summary)}`);
  const failed = results.filter((r) => r.error || violations(r));
  const result = {
    at: new Date().toISOString(),
    commit: git("rev-parse", "HEAD") ?? null,
    uncommittedChanges: (git("status", "--porcelain") ?? "") !== "",
    machine: {
      cpus: os.cpus().length,
      node: process.version,
      loadAverage1m: {
        atStart: Math.round(loadAtStart * 100) / 100,
        atEnd: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
      },
    },
    options: {
      trials: opts.trials,
      jobs,
      only: opts.only ?? null,
      target: opts.target ?? null,
      seed: opts.seed,
      scaleOut: opts.scaleOut ?? false,
      entry: opts.entry ?? "child",
    },
    trials: summary.trials,
    duplicateOrders: summary.duplicateOrders,
    lostFills: summary.lostFills,
    stuckPositions: summary.stuckPositions,
    orphanOrders: summary.orphanOrders,
    pnlMismatch: summary.pnlMismatch,
    landed: summary.landed,
    errors: summary.errors,
    cells: summary.cells,
    failures: failed.map((r) => ({
      ...r,
      reproduce: reproduce(r),
    })),
    results: results.map(({ details: _details, ...r }) => r),
    runSeconds: Math.round((Date.now() - began) / 1000),
    ...(opts.scaleOut || opts.entry === "armed" ? {} : { fuzz }),
  };
  const file = opts.scaleOut ? LAST_SCALE_OUT : opts.entry === "armed" ? LAST_ARMED : LAST;
  writeLast(result, file);
  console.log(`saved bench/${path.basename(file)} (run ${result.runSeconds} s)`);
  return failed.length === 0 && results.length === specs.length && fuzzOk ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
