/**
 * Ballast's payload converter: `json/plain` payloads in which money is a decimal string a person reads
 * ("0.221110" dollars, "10.257950" shares), while the code keeps exact integer micros (src/money.ts).
 *
 * Everything Temporal stores or shows goes through it — workflow inputs and results, signals, updates,
 * queries, activity arguments and results, heartbeat details, memos — so a position's history in the
 * Web UI (or `temporal workflow show`) reads `"pnl": "0.221110"`, not `"pnl": 221110`. (A memo's fields
 * are converted one by one, each without its name: money in a memo is written as text only when nested
 * in an object, e.g. `memo: { opportunity: { spread, pairCost } }`.)
 *
 * Which fields are money is decided by name, from the explicit lists below (MONEY_FIELDS and friends),
 * not guessed from values: a field of one of those names holding a safe integer is written as micros with
 * exactly six decimals; every other value is written as the default JSON converter writes it. Reading
 * takes both forms: a decimal string in a money field becomes its micros exactly, and a number stays the
 * number it is (histories recorded before this converter, in tests/fixtures/histories/, still replay;
 * payloads of clients without it still read).
 *
 * The rule that keeps it exact: no field of a listed name carries anything but micros (no string, no
 * count, no ratio) in any of Ballast's payloads. tests/temporal/payload-converter.test.ts checks it over
 * the declared payload types and every recorded history. When a payload type gains a money field, list
 * it here; when a non-money field would take a listed name, rename one of them.
 *
 * Workflow-safe (it runs inside the workflow sandbox too): no Node imports, only @temporalio/common and
 * the pure src/money.ts. Wired in by `payloadConverterPath` (src/temporal/data-converter.ts, bundle.ts):
 * the workers, the workflow bundle, the clients and the replay must all use it together (a payload it
 * wrote, read by the default converter, would hand strings to code expecting micros).
 */
import {
  BinaryPayloadConverter,
  CompositePayloadConverter,
  encodingKeys,
  encodingTypes,
  METADATA_ENCODING_KEY,
  type Payload,
  type PayloadConverterWithEncoding,
  UndefinedPayloadConverter,
  ValueError,
} from "@temporalio/common";
import { formatMicros, type Micros, parseMicros } from "../money";

/**
 * Fields whose value is integer micros wherever they appear (pUSD, shares, prices, fee rates; all 1e-6).
 * Where they come from:
 * - MarketRef (src/session/market.ts), FeedDetection, StreamMarketInput: tickSize, minOrderSize, feeRate;
 * - PriceLevel, OurFill, ReconcileSnapshot.openOrders, OrderIntent (PlaceOrderRequest.intent): price, size,
 *   sizeMatched (also OrderReadBack), minOrderSize;
 * - Opportunity (src/strategy/arbitrage/opportunity.ts): upLimitPrice … downNetShares, and `shares`
 *   (positions started before the legs could differ);
 * - ArbitrageParams (also SessionParams.arbitrage) / FeedDetection: minSpread, budgetPerTrade,
 *   maxPositionCost, minRebalanceProfitPerShare (not rebalanceThreshold: a plain ratio);
 * - QuotingParams (SessionParams.quoting, src/strategy/quoting/params.ts): maxLiabilityPerMarket,
 *   maxTotalLiability, maxDrawdownPerMarket, maxDrawdownGlobal, orderSize;
 * - ExecuteResult, PositionView (not hedgeRatio: a float ratio; not orders, openOrders, bufferedFills,
 *   rebalanceTrades: counts), PositionResult;
 * - the database activities' records (src/db/positions.ts): PositionRecord, TelemetryRecord (its
 *   initialHedgeRatio and finalHedgeRatio are ratios kept as micros: 0.95 = 950_000, so "0.950000" is
 *   right), RebalanceTradeRecord, OrderRecord, FillRecord, ResolutionRecord.
 */
export const MONEY_FIELDS: readonly string[] = [
  "actualProfit",
  "budgetPerTrade",
  "downBestAsk",
  "downLimitPrice",
  "downNetShares",
  "downShares",
  "expectedProfit",
  "fee",
  "feeRate",
  "feesPaid",
  "filledShares",
  "finalHedgeRatio",
  "finalNoShares",
  "finalYesShares",
  "grossCost",
  "guaranteedPnl",
  "initialCost",
  "initialHedgeRatio",
  "initialNoShares",
  "initialYesShares",
  "maxCost",
  "maxDrawdownGlobal",
  "maxDrawdownPerMarket",
  "maxLiabilityPerMarket",
  "maxPositionCost",
  "maxTotalLiability",
  "minOrderSize",
  "minRebalanceProfitPerShare",
  "minSpread",
  "netCost",
  "noPrice",
  "noShares",
  "opportunityNoPrice",
  "opportunitySpread",
  "opportunityYesPrice",
  "orderSize",
  "pairCost",
  "pairs",
  "payout",
  "pnl",
  "price",
  "profit",
  "rebalancePrice",
  "rebalanceProfit",
  "rebalanceShares",
  "shares",
  "size",
  "sizeMatched",
  "spread",
  "tickSize",
  "totalCost",
  "upBestAsk",
  "upLimitPrice",
  "upNetShares",
  "upShares",
  "worstCaseProfit",
  "yesPrice",
  "yesShares",
];

/**
 * Fields that are micros only inside an object held by a given field: `up` and `down` are also the two
 * books of a MarketBookSnapshot and the two legs of a ledger, but in SessionView.bestAsks they are prices.
 */
export const MONEY_FIELDS_WITHIN: Readonly<Record<string, readonly string[]>> = {
  bestAsks: ["up", "down"],
};

/** Fields holding a record (keyed by ids) whose every value is micros: FeedHeartbeatDetails.tickSizes. */
export const MONEY_RECORDS: readonly string[] = ["tickSizes"];

const MONEY = new Set(MONEY_FIELDS);
const RECORDS = new Set(MONEY_RECORDS);
/** A Map, not the object: a key such as "toString" must not find Object.prototype's. */
const WITHIN = new Map(Object.entries(MONEY_FIELDS_WITHIN));
/** A decimal a person or this converter wrote: at most 6 decimals (more would not be exact micros). */
const DECIMAL = /^-?\d+(?:\.\d{1,6})?$/;

/** Micros as written in a payload: exactly six decimals ("0.221110", "-1.500000", "27.180000"). */
export function microsToText(m: Micros): string {
  return formatMicros(m, 6);
}

function write(value: unknown): unknown {
  return Number.isSafeInteger(value) ? microsToText(value as number) : value;
}

/** A decimal string becomes micros exactly; anything else (a number included) stays as it is. */
function read(value: unknown): unknown {
  if (typeof value !== "string" || !DECIMAL.test(value)) return value;
  try {
    return parseMicros(value);
  } catch {
    return value;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function mapFields(
  obj: Record<string, unknown>,
  keys: readonly string[] | undefined,
  fn: (v: unknown) => unknown,
): Record<string, unknown> {
  // fromEntries defines own properties (a key "__proto__" stays a key).
  return Object.fromEntries(
    Object.entries(obj).map(([k, v]) => [k, keys === undefined || keys.includes(k) ? fn(v) : v]),
  );
}

/** JSON.stringify's replacer: money fields to decimal text. Never mutates the value given. */
function toWire(key: string, value: unknown): unknown {
  if (MONEY.has(key)) return write(value);
  if (RECORDS.has(key) && isRecord(value)) return mapFields(value, undefined, write);
  const within = WITHIN.get(key);
  if (within && isRecord(value)) return mapFields(value, within, write);
  return value;
}

/** JSON.parse's reviver (called innermost first, on a freshly parsed tree): money fields back to micros. */
function fromWire(key: string, value: unknown): unknown {
  if (MONEY.has(key)) return read(value);
  if (RECORDS.has(key) && isRecord(value)) return mapFields(value, undefined, read);
  const within = WITHIN.get(key);
  if (within && isRecord(value)) return mapFields(value, within, read);
  return value;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/**
 * `json/plain`, as the SDK's JsonPayloadConverter, with money as decimal text. It always reads both forms;
 * with `writeDecimals: false` it writes money as numbers, as the SDK's default converter does.
 */
export class MoneyJsonPayloadConverter implements PayloadConverterWithEncoding {
  readonly encodingType = encodingTypes.METADATA_ENCODING_JSON;
  private readonly replacer: ((key: string, value: unknown) => unknown) | undefined;

  constructor(options: { writeDecimals: boolean } = { writeDecimals: true }) {
    this.replacer = options.writeDecimals ? toWire : undefined;
  }

  toPayload(value: unknown): Payload | undefined {
    if (value === undefined) return undefined;
    let json: string | undefined;
    try {
      json = JSON.stringify(value, this.replacer);
    } catch {
      return undefined;
    }
    // As the SDK's JSON converter: what JSON cannot represent (a function, a symbol) is not this converter's.
    if (json === undefined) return undefined;
    return {
      metadata: { [METADATA_ENCODING_KEY]: encodingKeys.METADATA_ENCODING_JSON },
      data: utf8Encoder.encode(json),
    };
  }

  fromPayload<T>(payload: Payload): T {
    if (payload.data === undefined || payload.data === null) throw new ValueError("Got payload with no data");
    return JSON.parse(utf8Decoder.decode(payload.data), fromWire) as T;
  }
}

/** The converter Temporal loads from this module (`payloadConverterPath`): the SDK's default, JSON aside. */
export const payloadConverter = new CompositePayloadConverter(
  new UndefinedPayloadConverter(),
  new BinaryPayloadConverter(),
  new MoneyJsonPayloadConverter(),
);

/**
 * Reads both forms, writes money as numbers (what the SDK's default converter writes and reads): for a
 * party that talks to workers of either kind — a test's client, whose workflows may run on a worker with
 * the default converter or with Ballast's — and the first step of a rolling deployment (every reader
 * able to read decimal text before any writer writes it). Loaded from payload-converter-numeric.ts.
 */
export const numericPayloadConverter = new CompositePayloadConverter(
  new UndefinedPayloadConverter(),
  new BinaryPayloadConverter(),
  new MoneyJsonPayloadConverter({ writeDecimals: false }),
);
