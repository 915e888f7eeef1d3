/**
 * The layering rules of biome.json (`noRestrictedImports` overrides per folder) fire: probe files placed in
 * each guarded folder, importing what that folder may not, must each fail Biome, while the imports a folder
 * may use pass. Deleting or mistyping a rule (a pattern that stops matching relative paths) fails here.
 *
 * - activities/, src/strategy/, src/polymarket/, src/streaming/, src/quoting/, workers/: never the simulator
 *   (src/venue), by any path;
 * - workflows/: no `pg`, no `node:*`, no database (src/db), no simulator, no metrics (src/metrics, prom-client).
 */
import { spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(__dirname, "..");
const BIOME = path.join(ROOT, "node_modules", ".bin", "biome");
const TAG = `layering_probe_${process.pid}`;

interface Probe {
  /** Folder of the probe file, relative to the project root. */
  dir: string;
  /** The import line (the probe re-exports nothing; Biome only reads it). */
  source: string;
  banned: boolean;
}

const PROBES: Probe[] = [
  { dir: "activities", source: 'import { windowLabel } from "../src/venue/markets";', banned: true },
  {
    dir: "activities/exchange",
    source: 'import type { VenueMarket } from "../../src/venue/types";',
    banned: true,
  },
  { dir: "activities/streaming", source: 'import { ASSETS } from "../../src/venue";', banned: true },
  { dir: "src/strategy/arbitrage", source: 'import type { Side } from "../../venue/types";', banned: true },
  { dir: "src/polymarket", source: 'import { ASSETS } from "../venue/markets";', banned: true },
  { dir: "src/streaming", source: 'import { ASSETS } from "../venue/markets";', banned: true },
  { dir: "src/quoting", source: 'import type { VenueMarket } from "../venue/types";', banned: true },
  { dir: "workers", source: 'import { ASSETS } from "../src/venue/markets";', banned: true },
  { dir: "workflows", source: 'import { readFileSync } from "node:fs";', banned: true },
  { dir: "workflows", source: 'import { Pool } from "pg";', banned: true },
  { dir: "workflows", source: 'import { openDatabase } from "../src/db/database";', banned: true },
  { dir: "workflows", source: 'import type { VenueMarket } from "../src/venue/types";', banned: true },
  { dir: "workflows", source: 'import { registry } from "../src/metrics/registry";', banned: true },
  { dir: "workflows", source: 'import { Counter } from "prom-client";', banned: true },
  // What these folders may import.
  { dir: "activities", source: 'import { windowSlug } from "../src/polymarket/slugs";', banned: false },
  {
    dir: "activities/exchange",
    source: 'import type { Side } from "../../src/protocol/vocabulary";',
    banned: false,
  },
  { dir: "workers", source: 'import { createExchange } from "../src/polymarket/exchange";', banned: false },
  { dir: "workflows", source: 'import type { OurFill } from "../src/session/messages";', banned: false },
  { dir: "workflows", source: 'import { sleep } from "@temporalio/workflow";', banned: false },
];

/** Runs Biome's noRestrictedImports over the probes; returns the probe files it flagged. */
function flaggedProbes(files: string[]): { flagged: Set<string>; output: string } {
  const result = spawnSync(
    BIOME,
    ["lint", "--only=style/noRestrictedImports", "--reporter=concise", "--max-diagnostics=none", ...files],
    { cwd: ROOT, encoding: "utf8" },
  );
  const output = `${result.stdout}\n${result.stderr}`;
  const flagged = new Set<string>();
  for (const match of output.matchAll(/(\S+\.ts):\d+:\d+: lint\/style\/noRestrictedImports/g)) {
    flagged.add(path.normalize(match[1]!));
  }
  return { flagged, output };
}

describe("layering (biome.json noRestrictedImports)", () => {
  const files = PROBES.map((probe, i) => path.join(probe.dir, `${TAG}_${i}.ts`));

  beforeAll(() => {
    PROBES.forEach((probe, i) => {
      writeFileSync(path.join(ROOT, files[i]!), `${probe.source}\n`);
    });
  });

  afterAll(() => {
    for (const file of files) rmSync(path.join(ROOT, file), { force: true });
  });

  it("flags every banned import and only those", () => {
    const { flagged, output } = flaggedProbes(files);
    const verdicts = PROBES.map((probe, i) => ({
      dir: probe.dir,
      source: probe.source,
      flagged: flagged.has(path.normalize(files[i]!)),
    }));
    const expected = PROBES.map((probe) => ({ dir: probe.dir, source: probe.source, flagged: probe.banned }));
    if (JSON.stringify(verdicts) !== JSON.stringify(expected)) console.error(output);
    expect(verdicts).toEqual(expected);
  });
});
