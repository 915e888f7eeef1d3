/**
 * Grafana in docker-compose.yml, checked without Grafana (no binary runs on these machines): the
 * provisioning files it mounts (the Prometheus data source, a file provider for ops/grafana/dashboards)
 * and the dashboard JSON, against what Grafana's file provisioning needs to load a dashboard and draw its
 * panels — a title and uid, a schema version, panels with unique ids on the 24-column grid without
 * overlaps, each query panel with targets on the provisioned data source. Each check is also run on a
 * broken copy, which it must refuse. The metric names the queries use: tests/metrics/dashboard.test.ts.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { type Dashboard, readDashboard } from "../metrics/dashboard";

const ROOT = path.resolve(__dirname, "../..");
const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");

/** Grafana's core panel types (a plugin panel would need installing first). */
const PANEL_TYPES = new Set([
  "row",
  "timeseries",
  "stat",
  "gauge",
  "bargauge",
  "table",
  "text",
  "state-timeline",
  "status-history",
  "heatmap",
  "histogram",
  "barchart",
  "piechart",
]);
const GRID_COLUMNS = 24;

interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

const isInt = (v: unknown): v is number => Number.isInteger(v);

function gridProblems(where: string, g: Partial<GridPos> | undefined): string[] {
  if (!g || ![g.x, g.y, g.w, g.h].every(isInt)) return [`${where}: gridPos needs integer x, y, w, h`];
  const { x, y, w, h } = g as GridPos;
  const problems: string[] = [];
  if (x < 0 || y < 0 || w < 1 || h < 1) problems.push(`${where}: gridPos out of range`);
  if (x + w > GRID_COLUMNS) problems.push(`${where}: gridPos wider than the 24-column grid`);
  return problems;
}

const overlap = (a: GridPos, b: GridPos) =>
  a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/** What would keep Grafana from loading the dashboard or drawing a panel; empty when there is nothing. */
function grafanaProblems(d: Dashboard, datasourceUids: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  if (typeof d !== "object" || d === null || Array.isArray(d)) return ["not a JSON object"];
  if (typeof d.title !== "string" || d.title.trim() === "") problems.push("no title");
  if (typeof d.uid !== "string" || !/^[a-zA-Z0-9_-]{1,40}$/.test(d.uid))
    problems.push("uid must be 1-40 letters, digits, - or _");
  // A provisioned dashboard gets its id from Grafana's database.
  if (d.id !== undefined && d.id !== null) problems.push("a provisioned dashboard has no id");
  if (!isInt(d.schemaVersion) || d.schemaVersion < 36)
    problems.push("schemaVersion must be an integer ≥ 36 (data source references by uid)");
  if (!Array.isArray(d.panels) || d.panels.length === 0) return [...problems, "no panels"];
  const datasourceOk = (ds: Dashboard) =>
    ds && ds.type === "prometheus" && typeof ds.uid === "string" && datasourceUids.has(ds.uid);

  const all: Dashboard[] = d.panels.flatMap((p: Dashboard) => [
    p,
    ...(p.type === "row" ? (p.panels ?? []) : []),
  ]);
  const ids = new Set<number>();
  for (const p of all) {
    const where = `panel ${p.id} (${p.title})`;
    if (!isInt(p.id) || p.id < 1) problems.push(`${where}: id must be a positive integer`);
    else if (ids.has(p.id)) problems.push(`${where}: id used twice`);
    else ids.add(p.id);
    if (!PANEL_TYPES.has(p.type)) problems.push(`${where}: unknown panel type ${p.type}`);
    if (typeof p.title !== "string" || p.title.trim() === "") problems.push(`${where}: no title`);
    problems.push(...gridProblems(where, p.gridPos));
    if (p.type === "row") continue;
    if (!datasourceOk(p.datasource)) problems.push(`${where}: data source is not the provisioned Prometheus`);
    if (!Array.isArray(p.targets) || p.targets.length === 0) {
      problems.push(`${where}: no targets`);
      continue;
    }
    const refIds = new Set<string>();
    for (const t of p.targets) {
      if (typeof t.refId !== "string" || t.refId === "" || refIds.has(t.refId))
        problems.push(`${where}: targets need distinct refIds`);
      refIds.add(t.refId);
      if (typeof t.expr !== "string" || t.expr.trim() === "") problems.push(`${where} ${t.refId}: no expr`);
      if (t.datasource !== undefined && !datasourceOk(t.datasource))
        problems.push(`${where} ${t.refId}: data source is not the provisioned Prometheus`);
    }
  }
  // Panels of an expanded dashboard share one grid: none may cover another.
  const top: Dashboard[] = d.panels.filter(
    (p: Dashboard) => p.gridPos && gridProblems("", p.gridPos).length === 0,
  );
  for (let i = 0; i < top.length; i++)
    for (let j = i + 1; j < top.length; j++)
      if (overlap(top[i].gridPos, top[j].gridPos))
        problems.push(`panels ${top[i].id} and ${top[j].id} overlap`);
  for (const v of d.templating?.list ?? []) {
    if (typeof v.name !== "string" || !/^[a-zA-Z_]\w*$/.test(v.name))
      problems.push(`variable ${v.name}: bad name`);
    if (v.type === "query" && !datasourceOk(v.datasource))
      problems.push(`variable ${v.name}: data source is not the provisioned Prometheus`);
  }
  return problems;
}

interface Service {
  volumes?: string[];
  depends_on?: string[] | Record<string, unknown>;
}
const COMPOSE = parseYaml(read("docker-compose.yml"), { merge: true }) as {
  services: Record<string, Service>;
};
/** host path → container path of a service's bind mounts. */
function mounts(service: string): Map<string, string> {
  return new Map(
    (COMPOSE.services[service]?.volumes ?? [])
      .filter((v) => v.startsWith("./"))
      .map((v) => {
        const [host = "", container = ""] = v.split(":");
        return [path.normalize(host), container] as [string, string];
      }),
  );
}

const DATASOURCES = parseYaml(read("ops/grafana/provisioning/datasources/prometheus.yml")) as {
  datasources: { uid: string; type: string; url: string }[];
};
const DATASOURCE_UIDS = new Set(DATASOURCES.datasources.map((d) => d.uid));
const DASHBOARD = readDashboard();

describe("Grafana provisioning (docker-compose.yml's grafana service)", () => {
  it("loads the Prometheus of docker-compose.yml as a data source", () => {
    expect(DATASOURCES.datasources).toEqual([
      expect.objectContaining({ uid: "prometheus", type: "prometheus", url: "http://prometheus:9090" }),
    ]);
    expect(Object.keys(COMPOSE.services)).toContain("prometheus");
    expect(mounts("grafana").get("ops/grafana/provisioning")).toBe("/etc/grafana/provisioning");
  });

  it("has its dashboard provider read the folder where the dashboards are mounted", () => {
    const provider = parseYaml(read("ops/grafana/provisioning/dashboards/ballast.yml")) as {
      providers: { type: string; options: { path: string } }[];
    };
    expect(provider.providers.map((p) => p.type)).toEqual(["file"]);
    const folder = provider.providers[0]?.options.path;
    expect(mounts("grafana").get("ops/grafana/dashboards")).toBe(folder);
    expect(readdirSync(path.join(ROOT, "ops/grafana/dashboards")).filter((f) => f.endsWith(".json"))).toEqual(
      ["ballast.json"],
    );
  });

  it("gets a dashboard Grafana can load: title, uid, schema version, panels on the grid, queries on the data source", () => {
    expect(grafanaProblems(DASHBOARD, DATASOURCE_UIDS)).toEqual([]);
    expect(DASHBOARD.uid).toBe("ballast-overview");
  });

  it("refuses broken copies of the dashboard", () => {
    const copy = (): Dashboard => JSON.parse(JSON.stringify(DASHBOARD));
    const byTitle = (d: Dashboard, title: string) => d.panels.find((p: Dashboard) => p.title === title);

    const duplicateId = copy();
    byTitle(duplicateId, "Fills").id = byTitle(duplicateId, "Order round trip").id;
    expect(grafanaProblems(duplicateId, DATASOURCE_UIDS)).toContainEqual(
      expect.stringMatching(/id used twice/),
    );

    const overlapping = copy();
    byTitle(overlapping, "Fills").gridPos = { ...byTitle(overlapping, "Order round trip").gridPos };
    expect(grafanaProblems(overlapping, DATASOURCE_UIDS)).toContainEqual(expect.stringMatching(/overlap/));

    const tooWide = copy();
    byTitle(tooWide, "Filled shares").gridPos.w = 20;
    expect(grafanaProblems(tooWide, DATASOURCE_UIDS)).toContainEqual(expect.stringMatching(/24-column/));

    const otherSource = copy();
    byTitle(otherSource, "Positions by state").datasource.uid = "Prometheus";
    expect(grafanaProblems(otherSource, DATASOURCE_UIDS)).toContainEqual(
      expect.stringMatching(/Positions by state\): data source/),
    );

    const noTargets = copy();
    byTitle(noTargets, "Hedge ratio").targets = [];
    expect(grafanaProblems(noTargets, DATASOURCE_UIDS)).toContainEqual(expect.stringMatching(/no targets/));

    const sameRefId = copy();
    for (const t of byTitle(sameRefId, "Order round trip").targets) t.refId = "A";
    expect(grafanaProblems(sameRefId, DATASOURCE_UIDS)).toContainEqual(
      expect.stringMatching(/distinct refIds/),
    );

    const unknownType = copy();
    byTitle(unknownType, "Markouts").type = "graph-ng";
    expect(grafanaProblems(unknownType, DATASOURCE_UIDS)).toContainEqual(
      expect.stringMatching(/unknown panel type/),
    );

    expect(grafanaProblems({ ...copy(), uid: "ballast overview" }, DATASOURCE_UIDS)).toEqual([
      "uid must be 1-40 letters, digits, - or _",
    ]);
    expect(grafanaProblems({ ...copy(), schemaVersion: "39" }, DATASOURCE_UIDS)).toHaveLength(1);
    expect(grafanaProblems({ ...copy(), id: 7 }, DATASOURCE_UIDS)).toEqual([
      "a provisioned dashboard has no id",
    ]);
    expect(grafanaProblems([], DATASOURCE_UIDS)).toEqual(["not a JSON object"]);
  });
});
