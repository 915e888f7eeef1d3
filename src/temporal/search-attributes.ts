/**
 * Ballast's custom search attributes, registered in the dev server (and, in production, with
 * `temporal operator search-attribute create`), so a person can ask the Web UI for e.g.
 * `Asset = "BTC" AND PositionState = "IMBALANCED"`.
 */
import { defineSearchAttributeKey, SearchAttributeType } from "@temporalio/common";

export const MarketSlug = defineSearchAttributeKey("MarketSlug", SearchAttributeType.KEYWORD);
export const Asset = defineSearchAttributeKey("Asset", SearchAttributeType.KEYWORD);
export const Strategy = defineSearchAttributeKey("Strategy", SearchAttributeType.KEYWORD);
export const PositionState = defineSearchAttributeKey("PositionState", SearchAttributeType.KEYWORD);
export const HedgeRatio = defineSearchAttributeKey("HedgeRatio", SearchAttributeType.DOUBLE);

export const SEARCH_ATTRIBUTES = [MarketSlug, Asset, Strategy, PositionState, HedgeRatio] as const;

/** `--search-attribute Name=Type` arguments for `temporal server start-dev`. */
export function devServerSearchAttributeArgs(): string[] {
  const cliType: Record<string, string> = {
    [SearchAttributeType.KEYWORD]: "Keyword",
    [SearchAttributeType.DOUBLE]: "Double",
  };
  return SEARCH_ATTRIBUTES.flatMap((k) => ["--search-attribute", `${k.name}=${cliType[k.type]}`]);
}
