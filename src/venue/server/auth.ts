/**
 * The venue's security, as the real CLOB does it (see docs/clob-client-v2.md §3–4):
 * - L1: an EIP-712 `ClobAuth` signature proves control of an address; it buys API credentials.
 * - L2: every other private request carries an HMAC-SHA256 of `timestamp + METHOD + path + body`
 *   under the key's secret.
 * - Orders: each is an EIP-712 V2 order signed by the key's address; its id is the typed-data hash.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { getAddress, verifyTypedData } from "ethers";
import type { Micros } from "../../money";
import {
  CLOB_AUTH_MESSAGE,
  CLOB_AUTH_TYPES,
  clobAuthDomain,
  type OrderStruct,
  orderDigest,
  recoverSigner,
} from "../../protocol/order-signing";
import type { Side } from "../types";

export class AuthError extends Error {
  constructor(
    message: string,
    readonly status = 401,
  ) {
    super(message);
    this.name = "AuthError";
  }
}

export interface ApiKey {
  key: string;
  secret: string;
  passphrase: string;
  /** Checksummed address the key belongs to. */
  address: string;
}

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function digest(...parts: string[]): Buffer {
  const h = createHash("sha256");
  for (const p of parts) h.update(p).update("\u0000");
  return h.digest();
}

function uuidFrom(bytes: Buffer): string {
  const hex = bytes.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** API credentials: derived deterministically from (venue seed, address, nonce), as a real derive is stable. */
export class ApiKeyRegistry {
  readonly #byKey = new Map<string, ApiKey>();

  constructor(private readonly seed: number) {}

  issue(address: string, nonce: string): ApiKey {
    const checksummed = getAddress(address);
    const base = digest("api-key", String(this.seed), checksummed.toLowerCase(), nonce);
    const apiKey: ApiKey = {
      key: uuidFrom(base),
      secret: digest("secret", base.toString("hex")).toString("base64url"),
      passphrase: digest("passphrase", base.toString("hex")).toString("hex").slice(0, 64),
      address: checksummed,
    };
    this.#byKey.set(apiKey.key, apiKey);
    return apiKey;
  }

  get(key: string): ApiKey | undefined {
    return this.#byKey.get(key);
  }

  all(): ApiKey[] {
    return [...this.#byKey.values()];
  }
}

/** Checks L1 headers; returns the proven address and the nonce. */
export function verifyL1(headers: Headers, chainId: number): { address: string; nonce: string } {
  const address = header(headers, "POLY_ADDRESS");
  const signature = header(headers, "POLY_SIGNATURE");
  const timestamp = header(headers, "POLY_TIMESTAMP");
  const nonce = header(headers, "POLY_NONCE") ?? "0";
  if (!address || !signature || !timestamp) throw new AuthError("Invalid L1 Request headers");
  let recovered: string;
  try {
    recovered = verifyTypedData(
      clobAuthDomain(chainId),
      CLOB_AUTH_TYPES,
      { address, timestamp, nonce, message: CLOB_AUTH_MESSAGE },
      signature,
    );
  } catch {
    throw new AuthError("Invalid L1 Request headers");
  }
  if (recovered.toLowerCase() !== address.toLowerCase()) throw new AuthError("Invalid L1 Request headers");
  return { address: getAddress(address), nonce };
}

/** The client's HMAC: base64url(HMAC-SHA256(base64url-decoded secret, ts + METHOD + path + body)), padding kept. */
export function l2Signature(
  secret: string,
  timestamp: string,
  method: string,
  path: string,
  body: string,
): string {
  const key = Buffer.from(secret.replace(/-/g, "+").replace(/_/g, "/"), "base64");
  return createHmac("sha256", key)
    .update(`${timestamp}${method}${path}${body}`)
    .digest("base64")
    .replace(/\+/g, "-")
    .replace(/\//g, "_");
}

/** Checks L2 headers against the raw request; returns the API key. `path` excludes the query string. */
export function verifyL2(
  registry: ApiKeyRegistry,
  headers: Headers,
  method: string,
  path: string,
  rawBody: string,
): ApiKey {
  const key = header(headers, "POLY_API_KEY");
  const passphrase = header(headers, "POLY_PASSPHRASE");
  const signature = header(headers, "POLY_SIGNATURE");
  const timestamp = header(headers, "POLY_TIMESTAMP");
  const address = header(headers, "POLY_ADDRESS");
  const apiKey = key ? registry.get(key) : undefined;
  if (!apiKey || !signature || !timestamp || !address || passphrase !== apiKey.passphrase) {
    throw new AuthError("Unauthorized/Invalid api key");
  }
  const expected = Buffer.from(l2Signature(apiKey.secret, timestamp, method.toUpperCase(), path, rawBody));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw new AuthError("Unauthorized/Invalid api key");
  }
  if (address.toLowerCase() !== apiKey.address.toLowerCase())
    throw new AuthError("Unauthorized/Invalid api key");
  return apiKey;
}

/** A V2 order as it arrives in the JSON body of POST /order(s). */
export interface WireOrder {
  salt: number | string;
  maker: string;
  signer: string;
  tokenId: string;
  makerAmount: string;
  takerAmount: string;
  side: string;
  signatureType: number;
  timestamp: string;
  expiration?: string;
  metadata: string;
  builder: string;
  signature: string;
}

export interface VerifiedOrder {
  /** The EIP-712 hash: the order's id. */
  id: string;
  account: string;
  tokenId: string;
  side: Side;
  /** The signed amounts, in 6-decimal base units: pUSD and shares of a BUY, shares and pUSD of a SELL. */
  makerAmount: bigint;
  takerAmount: bigint;
  /** Shares: the taker amount of a BUY, the maker amount of a SELL. */
  size: Micros;
  expirationSec: number;
}

export class OrderRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OrderRejected";
  }
}

const UINT = /^\d+$/;

/**
 * Rebuilds the signed struct, recovers the signer and reads the amounts (the caller holds them to the
 * venue's amount rules and derives the limit price: src/protocol/amounts.ts).
 */
export function verifyOrder(order: WireOrder, chainId: number, apiKey: ApiKey): VerifiedOrder {
  const fields = [
    order?.maker,
    order?.signer,
    order?.tokenId,
    order?.makerAmount,
    order?.takerAmount,
    order?.signature,
  ];
  if (fields.some((f) => typeof f !== "string") || (order.side !== "BUY" && order.side !== "SELL")) {
    throw new OrderRejected("invalid order payload");
  }
  const salt = typeof order.salt === "number" ? order.salt : Number(order.salt);
  if (!Number.isSafeInteger(salt) || salt < 0) throw new OrderRejected("invalid order payload: salt");
  if (
    ![order.tokenId, order.makerAmount, order.takerAmount, order.timestamp].every((v) => UINT.test(String(v)))
  ) {
    throw new OrderRejected("invalid order payload: amounts");
  }
  const struct: OrderStruct = {
    salt: String(salt),
    maker: order.maker,
    signer: order.signer,
    tokenId: order.tokenId,
    makerAmount: order.makerAmount,
    takerAmount: order.takerAmount,
    side: order.side === "BUY" ? 0 : 1,
    signatureType: order.signatureType,
    timestamp: String(order.timestamp),
    metadata: order.metadata,
    builder: order.builder,
  };
  let id: string;
  let recovered: string;
  try {
    id = orderDigest(chainId, false, struct);
    recovered = recoverSigner(id, order.signature);
  } catch {
    throw new OrderRejected("invalid signature");
  }
  if (recovered.toLowerCase() !== order.signer.toLowerCase()) throw new OrderRejected("invalid signature");
  if (order.signer.toLowerCase() !== apiKey.address.toLowerCase()) {
    throw new OrderRejected("the order signer address has to be the address of the API KEY");
  }
  if (order.signatureType === 0 && order.maker.toLowerCase() !== order.signer.toLowerCase()) {
    throw new OrderRejected("invalid signature");
  }
  const maker = BigInt(order.makerAmount);
  const taker = BigInt(order.takerAmount);
  const shares = order.side === "BUY" ? taker : maker;
  if (shares <= 0n) throw new OrderRejected("invalid order payload: amounts");
  return {
    id,
    account: order.maker.toLowerCase(),
    tokenId: order.tokenId,
    side: order.side,
    makerAmount: maker,
    takerAmount: taker,
    size: Number(shares),
    expirationSec: Number(order.expiration ?? 0) || 0,
  };
}
