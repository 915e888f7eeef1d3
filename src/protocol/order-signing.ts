/**
 * The CLOB V2 order as EIP-712 typed data (the struct of the official client's
 * dist/order-utils/model/ctfExchangeV2TypedData.cjs), and the API-key ClobAuth message. One
 * definition serves both sides: the exchange adapter signs with it, the venue simulator verifies
 * with it. `expiration` is not part of the signed V2 struct.
 */
import { getContractConfig } from "@polymarket/clob-client-v2";
import {
  concat,
  dataSlice,
  getAddress,
  getBytes,
  keccak256,
  type TypedDataDomain,
  TypedDataEncoder,
  type TypedDataField,
} from "ethers";
import secp256k1 from "secp256k1";

export const ZERO_BYTES32 = `0x${"0".repeat(64)}`;

export const ORDER_TYPES: Record<string, TypedDataField[]> = {
  Order: [
    { name: "salt", type: "uint256" },
    { name: "maker", type: "address" },
    { name: "signer", type: "address" },
    { name: "tokenId", type: "uint256" },
    { name: "makerAmount", type: "uint256" },
    { name: "takerAmount", type: "uint256" },
    { name: "side", type: "uint8" },
    { name: "signatureType", type: "uint8" },
    { name: "timestamp", type: "uint256" },
    { name: "metadata", type: "bytes32" },
    { name: "builder", type: "bytes32" },
  ],
};

/** The exchange domain orders are signed for: version "2", the (neg-risk) V2 exchange contract. */
export function exchangeDomain(chainId: number, negRisk: boolean): TypedDataDomain {
  const contracts = getContractConfig(chainId);
  return {
    name: "Polymarket CTF Exchange",
    version: "2",
    chainId,
    verifyingContract: negRisk ? contracts.negRiskExchangeV2 : contracts.exchangeV2,
  };
}

/** The signed fields of an order, as EIP-712 values (side 0 = BUY, 1 = SELL). */
export interface OrderStruct {
  salt: string;
  maker: string;
  signer: string;
  tokenId: string;
  makerAmount: string;
  takerAmount: string;
  side: 0 | 1;
  signatureType: number;
  timestamp: string;
  metadata: string;
  builder: string;
}

export const CLOB_AUTH_MESSAGE = "This message attests that I control the given wallet";

export const CLOB_AUTH_TYPES: Record<string, TypedDataField[]> = {
  ClobAuth: [
    { name: "address", type: "address" },
    { name: "timestamp", type: "string" },
    { name: "nonce", type: "uint256" },
    { name: "message", type: "string" },
  ],
};

export function clobAuthDomain(chainId: number): TypedDataDomain {
  return { name: "ClobAuthDomain", version: "1", chainId };
}

// ---------------------------------------------------------------------------------------------
// Fast verification (the venue checks every order): the struct encoder and domain separators are
// built once, and the public key is recovered by libsecp256k1 when its native binding is present
// (the `secp256k1` package falls back to pure JS by itself otherwise).

const orderEncoder = TypedDataEncoder.from(ORDER_TYPES);
const domainSeparators = new Map<string, string>();

/** The EIP-712 digest of an order: keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(order)). */
export function orderDigest(chainId: number, negRisk: boolean, order: OrderStruct): string {
  const key = `${chainId}/${negRisk}`;
  let separator = domainSeparators.get(key);
  if (!separator) {
    separator = TypedDataEncoder.hashDomain(exchangeDomain(chainId, negRisk));
    domainSeparators.set(key, separator);
  }
  return keccak256(concat(["0x1901", separator, orderEncoder.hash(order)]));
}

/** The address whose key produced a 65-byte (r ‖ s ‖ v) signature of `digest`. Throws if malformed. */
export function recoverSigner(digest: string, signature: string): string {
  const sig = getBytes(signature);
  if (sig.length !== 65) throw new Error("signature must be 65 bytes");
  const v = sig[64] as number;
  const recid = v >= 27 ? v - 27 : v;
  if (recid !== 0 && recid !== 1) throw new Error("bad signature recovery id");
  const publicKey = secp256k1.ecdsaRecover(sig.subarray(0, 64), recid, getBytes(digest), false);
  return getAddress(dataSlice(keccak256(publicKey.subarray(1)), 12));
}
