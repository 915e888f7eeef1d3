/**
 * Label values of Ballast's metrics, kept bounded: a market is named by its slug and asset, never by an
 * order id, a trade id or a position id.
 *
 * The exchange and database activities are not told which market they serve (an order request names the
 * venue's condition id), but the workflow that called them is: `position-{slug}-{n}`, `session-{slug}`,
 * `feed-{slug}` (src/session/messages.ts workflowIds). The asset is the slug's first word
 * (`btc-updown-15m-1767200400` → BTC, src/polymarket/slugs.ts windowSlug).
 */
import { Context } from "@temporalio/activity";

/** The label value when the market or asset is not known (an activity run outside a market's workflows). */
export const UNKNOWN = "unknown";

export interface MarketLabels {
  /** The market's slug. */
  market: string;
  /** BTC, ETH, …: the asset of an up/down window. */
  asset: string;
}

/** BTC for `btc-updown-15m-1767200400`; UNKNOWN for a slug of another shape. */
export function assetOfSlug(slug: string): string {
  const m = /^([a-z0-9]+)-updown-/i.exec(slug);
  return m?.[1] ? m[1].toUpperCase() : UNKNOWN;
}

/** The market of a session, feed or position workflow id; undefined for other workflows (control, scheduler). */
export function marketOfWorkflowId(workflowId: string): MarketLabels | undefined {
  const m = /^(?:position-(.+)-\d+|session-(.+)|feed-(.+))$/.exec(workflowId);
  const slug = m?.[1] ?? m?.[2] ?? m?.[3];
  return slug ? { market: slug, asset: assetOfSlug(slug) } : undefined;
}

/** The market of the workflow that called the running activity; UNKNOWN outside an activity or a market's workflow. */
export function activityMarket(): MarketLabels {
  let workflowId: string | undefined;
  try {
    workflowId = Context.current().info.workflowExecution?.workflowId;
  } catch {
    // Not inside an activity (unit tests call activity functions directly).
  }
  return (workflowId ? marketOfWorkflowId(workflowId) : undefined) ?? { market: UNKNOWN, asset: UNKNOWN };
}
