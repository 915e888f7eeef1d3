/**
 * The Grafana dashboard (ops/grafana/dashboards/ballast.json) against the metrics Ballast defines
 * (src/metrics/registry.ts): every metric a panel queries exists under that name, every Ballast metric
 * has a panel, and every query is PromQL that Prometheus' own grammar accepts. A renamed metric, on
 * either side, fails here; each check is also run on a broken copy, which it must refuse.
 *
 * The Temporal SDK's metrics (`temporal_…`) are not in Ballast's registry: the integration test
 * tests/integration/metrics-endpoint.test.ts finds them in a real worker's /metrics.
 */
import { Counter, Registry } from "prom-client";
import { enableProcessMetrics, registry } from "../../src/metrics/registry";
import {
  type Dashboard,
  dashboardMetricNames,
  dashboardQueries,
  metricNames,
  promqlErrors,
  readDashboard,
} from "./dashboard";

/** Series names Prometheus itself adds to every scrape target. */
const PROMETHEUS_OWN = new Set(["up", "scrape_duration_seconds", "scrape_samples_scraped"]);

enableProcessMetrics();

/** The sample names the registry exposes: counters and gauges by name, histograms by their three series. */
async function exposedNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const metric of await registry.getMetricsAsJSON()) {
    const type = String(metric.type);
    if (type === "histogram") {
      for (const suffix of ["_bucket", "_sum", "_count"]) names.add(`${metric.name}${suffix}`);
    } else if (type === "summary") {
      for (const suffix of ["", "_sum", "_count"]) names.add(`${metric.name}${suffix}`);
    } else {
      names.add(metric.name);
    }
  }
  return names;
}

/** Metric names the dashboard queries that nothing defines (the SDK's are checked elsewhere). */
async function undefinedNames(dashboard: Dashboard): Promise<string[]> {
  const exposed = await exposedNames();
  return [...dashboardMetricNames(dashboard)]
    .filter((n) => !n.startsWith("temporal_") && !PROMETHEUS_OWN.has(n) && !exposed.has(n))
    .sort();
}

/** Ballast's metrics (`ballast_…`) no panel queries. */
function metricsWithoutPanel(dashboard: Dashboard): string[] {
  const queried = dashboardMetricNames(dashboard);
  return registry
    .getMetricsAsArray()
    .map((m) => (m as unknown as { name: string }).name)
    .filter((name) => name.startsWith("ballast_"))
    .filter((name) => ![name, `${name}_bucket`, `${name}_sum`, `${name}_count`].some((n) => queried.has(n)))
    .sort();
}

/**
 * The labels Ballast's metrics may have: each takes a handful of values (a market's slug only on gauges
 * of live markets). An id of an order, a trade or a position would make a series per order.
 */
const BOUNDED_LABELS = new Set([
  "asset",
  "market",
  "side",
  "reason",
  "state",
  "status",
  "channel",
  "signal",
  "order_type",
  "result",
  "origin",
  "scope",
  "operation",
  "error",
  "role",
  "outcome",
  "horizon",
]);

function unboundedLabels(r: Registry): string[] {
  return r
    .getMetricsAsArray()
    .map((m) => m as unknown as { name: string; labelNames: string[] })
    .filter((m) => m.name.startsWith("ballast_"))
    .flatMap((m) => m.labelNames.filter((l) => !BOUNDED_LABELS.has(l)).map((l) => `${m.name}: ${l}`));
}

const DASHBOARD = readDashboard();
const TEXT = JSON.stringify(DASHBOARD);
const broken = (from: string, to: string): Dashboard => {
  if (!TEXT.includes(from)) throw new Error(`the dashboard has no ${from}`);
  return JSON.parse(TEXT.split(from).join(to));
};

describe("the Grafana dashboard and Ballast's metrics", () => {
  it("reads metric names out of PromQL as Prometheus parses it", () => {
    expect(
      metricNames(
        'histogram_quantile(0.95, sum by (le, asset) (rate(ballast_order_round_trip_seconds_bucket{asset=~"$asset"}[$__rate_interval])))',
      ),
    ).toEqual(["ballast_order_round_trip_seconds_bucket"]);
    expect(
      metricNames("(sum(increase(a_total[24h])) or vector(0)) - on() b / ignoring(x) c offset 5m"),
    ).toEqual(["a_total", "b", "c"]);
    expect(metricNames("label_values(ballast_order_placements_total, asset)")).toEqual([
      "ballast_order_placements_total",
    ]);
    expect(promqlErrors("sum(rate(x[5m])")).not.toEqual([]);
    expect(promqlErrors("sum by (le) (rate(x_bucket[5m]))")).toEqual([]);
  });

  it("queries only metrics that Ballast's registry defines (or Prometheus or the Temporal SDK export)", async () => {
    expect(dashboardMetricNames(DASHBOARD).size).toBeGreaterThan(20);
    expect(await undefinedNames(DASHBOARD)).toEqual([]);
    // A metric renamed on one side only is caught.
    expect(
      await undefinedNames(
        broken("ballast_order_round_trip_seconds_bucket", "ballast_order_roundtrip_seconds_bucket"),
      ),
    ).toEqual(["ballast_order_roundtrip_seconds_bucket"]);
    expect(await undefinedNames(broken("ballast_positions{", "ballast_position{"))).toEqual([
      "ballast_position",
    ]);
  });

  it("has a panel for every metric Ballast defines", () => {
    expect(metricsWithoutPanel(DASHBOARD)).toEqual([]);
    expect(metricsWithoutPanel(broken("ballast_liability_pusd", "ballast_liabilities_pusd"))).toEqual([
      "ballast_liability_pusd",
    ]);
  });

  it("has only queries that are valid PromQL", () => {
    const queries = dashboardQueries(DASHBOARD);
    expect(queries.length).toBeGreaterThan(30);
    expect(queries.flatMap((q) => promqlErrors(q.expr).map((e) => `${q.where}: ${e}`))).toEqual([]);
    const unbalanced = dashboardQueries(broken("sum by (channel) (rate(", "sum by (channel) (rate(("));
    expect(unbalanced.flatMap((q) => promqlErrors(q.expr))).not.toEqual([]);
  });

  it("labels Ballast's metrics only with bounded labels (never an order, trade or position id)", () => {
    expect(unboundedLabels(registry)).toEqual([]);
    const other = new Registry();
    new Counter({
      name: "ballast_probe_total",
      help: "probe",
      labelNames: ["asset", "order_id"],
      registers: [other],
    });
    expect(unboundedLabels(other)).toEqual(["ballast_probe_total: order_id"]);
  });
});
