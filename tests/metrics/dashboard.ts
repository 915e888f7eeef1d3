/**
 * Reading the Grafana dashboard (ops/grafana/dashboards/ballast.json) the way the tests need: its PromQL
 * queries, parsed with Prometheus' own PromQL grammar (@prometheus-io/lezer-promql, the one the
 * Prometheus UI uses), and the metric names they select.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "../../src/temporal/binaries";

/** What is used here of @prometheus-io/lezer-promql's parser (an ES module package, loaded through its CommonJS build). */
interface PromqlParser {
  parse(input: string): {
    iterate(spec: {
      enter(node: {
        type: { name: string; isError: boolean };
        from: number;
        to: number;
        node: { parent: { type: { name: string } } | null };
      }): void;
    }): void;
  };
}
const { parser } = require("@prometheus-io/lezer-promql") as { parser: PromqlParser };

export const DASHBOARD_FILE = path.join(PROJECT_ROOT, "ops", "grafana", "dashboards", "ballast.json");

// biome-ignore lint/suspicious/noExplicitAny: Grafana's dashboard JSON, checked field by field by the tests
export type Dashboard = any;

export function readDashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_FILE, "utf8"));
}

/**
 * Temporal SDK metrics the dashboard queries that the SDK creates only when something fails (names from
 * the SDK's metrics reference, https://docs.temporal.io/references/sdk-metrics, and its Core): the live
 * check of tests/integration/metrics-endpoint.test.ts cannot see them on a healthy worker.
 */
export const SDK_METRICS_ONLY_ON_FAILURE: ReadonlySet<string> = new Set([
  "temporal_activity_execution_failed",
  "temporal_workflow_task_execution_failed",
  "temporal_request_failure",
]);

export interface Query {
  /** "panel 12 (Order round trip) A", or "variable asset". */
  where: string;
  expr: string;
}

function panelsOf(dashboard: Dashboard): Dashboard[] {
  return (dashboard.panels ?? []).flatMap((p: Dashboard) => [p, ...(p.panels ?? [])]);
}

/** Every PromQL query of the dashboard: its panels' targets and its query variables. */
export function dashboardQueries(dashboard: Dashboard): Query[] {
  const targets = panelsOf(dashboard).flatMap((p: Dashboard) =>
    (p.targets ?? []).map((t: Dashboard) => ({
      where: `panel ${p.id} (${p.title}) ${t.refId}`,
      expr: t.expr,
    })),
  );
  const variables = (dashboard.templating?.list ?? [])
    .filter((v: Dashboard) => v.type === "query")
    .map((v: Dashboard) => ({
      where: `variable ${v.name}`,
      expr: typeof v.query === "string" ? v.query : v.query?.query,
    }));
  return [...targets, ...variables];
}

/**
 * The query as Prometheus gets it: Grafana replaces its variables first (`$asset` inside a label
 * matcher's string, `$__rate_interval` in a range), and `label_values(metric, label)` (a variable
 * query, answered from Prometheus' series API) selects `metric`.
 */
function asPromql(expr: string): string {
  const labelValues = /^\s*label_values\(\s*([^,)]+)\s*,\s*[a-zA-Z_][a-zA-Z0-9_]*\s*\)\s*$/.exec(expr);
  const promql = labelValues ? (labelValues[1] ?? "") : expr;
  return promql.replace(/\$__[a-z_]+/g, "5m").replace(/\$\{?[a-zA-Z_]\w*\}?/g, "x");
}

/** The PromQL syntax errors of a query (empty when Prometheus' grammar accepts it). */
export function promqlErrors(expr: string): string[] {
  const query = asPromql(expr);
  const errors: string[] = [];
  if (query.trim() === "") return ["empty query"];
  parser.parse(query).iterate({
    enter: (node) => {
      if (node.type.isError)
        errors.push(
          `syntax error at ${node.from}: ${JSON.stringify(query.slice(node.from, node.from + 20))}`,
        );
    },
  });
  return errors;
}

/** The metric names a query selects (the identifiers of its vector selectors). */
export function metricNames(expr: string): string[] {
  const query = asPromql(expr);
  const names: string[] = [];
  parser.parse(query).iterate({
    enter: (node) => {
      if (node.type.name === "Identifier" && node.node.parent?.type.name === "VectorSelector")
        names.push(query.slice(node.from, node.to));
    },
  });
  return names;
}

/** Every metric name the dashboard queries. */
export function dashboardMetricNames(dashboard: Dashboard): Set<string> {
  return new Set(dashboardQueries(dashboard).flatMap((q) => metricNames(q.expr)));
}
