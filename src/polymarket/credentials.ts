/**
 * Who the venue client acts as: the signer (an ethers-v6 signer adapted to what the client expects), the
 * chain, the signature type, and the L2 API credentials — derived from the wallet (L1 authentication),
 * or created when it has none.
 *
 * Secrets: the API secret, passphrase and private key live only inside the client and the signer; nothing
 * here logs, and errors carry venue texts and statuses only.
 */
import {
  type ApiKeyCreds,
  type Chain,
  ClobClient,
  type ClobClientOptions,
  getContractConfig,
  SignatureTypeV2,
} from "@polymarket/clob-client-v2";
import type { TypedDataDomain } from "ethers";
import { Rejected, Unauthorized } from "./errors";
import { DEFAULT_REQUEST_TIMEOUT_MS, venueCall } from "./transport";
import type {
  ApiCredentials,
  ExchangeConfig,
  ExchangeConnection,
  ExchangeOptions,
  SignatureType,
  TypedDataSigner,
} from "./types";

const SIGNATURE_TYPES: ReadonlySet<number> = new Set([
  SignatureTypeV2.EOA,
  SignatureTypeV2.POLY_PROXY,
  SignatureTypeV2.POLY_GNOSIS_SAFE,
]);

/** The client wants an ethers-v5-style signer (`_signTypedData`); an ethers v6 Wallet has `signTypedData`. */
function toClobSigner(signer: TypedDataSigner): NonNullable<ClobClientOptions["signer"]> {
  return {
    getAddress: () => signer.getAddress(),
    _signTypedData: (domain, types, value) => signer.signTypedData(domain as TypedDataDomain, types, value),
  };
}

function supportedChain(chainId: number): Chain {
  try {
    getContractConfig(chainId);
  } catch {
    throw new Error(`chain ${chainId} is not supported by the CLOB client (137 or 80002)`);
  }
  return chainId as Chain;
}

/** The signature type of a connection (EOA by default); throws for one this adapter cannot sign for. */
export function signatureTypeOf(
  connection: Pick<ExchangeConnection, "signatureType" | "funderAddress">,
): SignatureType {
  const signatureType = connection.signatureType ?? SignatureTypeV2.EOA;
  if (!SIGNATURE_TYPES.has(signatureType)) {
    throw new Error(
      `signature type ${signatureType} is not supported (0 EOA, 1 POLY_PROXY, 2 POLY_GNOSIS_SAFE)`,
    );
  }
  if (signatureType !== SignatureTypeV2.EOA && connection.funderAddress === undefined) {
    throw new Error(`signature type ${signatureType} needs the funder address`);
  }
  return signatureType;
}

/**
 * A ClobClient for a signer. Failures must throw (errors.ts), and retries belong to Temporal: the client's
 * own retry re-posts a POST once after 30 ms, which must never happen to a batch.
 */
export function clobClient(
  host: string,
  chainId: number,
  signer: TypedDataSigner,
  auth: { creds?: ApiKeyCreds; signatureType?: SignatureType; funderAddress?: string } = {},
): ClobClient {
  return new ClobClient({
    host,
    chain: supportedChain(chainId),
    signer: toClobSigner(signer),
    ...auth,
    throwOnError: true,
    retryOnError: false,
  });
}

/**
 * L1 authentication: the wallet's existing API key, or a new one when it has none. Also gives the
 * streaming worker its user-channel credentials.
 */
export async function obtainApiCredentials(
  config: ExchangeConfig,
  signer: TypedDataSigner,
  options: ExchangeOptions,
): Promise<ApiCredentials> {
  const client = clobClient(config.clobUrl, config.chainId, signer);
  const settings = {
    timeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    now: options.now ?? Date.now,
  };
  const complete = (creds: ApiCredentials): boolean => Boolean(creds.key && creds.secret && creds.passphrase);
  try {
    const derived = await venueCall(() => client.deriveApiKey(), settings);
    if (complete(derived)) return derived;
  } catch (error) {
    // No key yet is a 4xx; anything else (auth, outage) would fail the creation too.
    if (!(error instanceof Rejected)) throw error;
  }
  const created = await venueCall(() => client.createApiKey(), settings);
  if (!complete(created)) throw new Unauthorized("the venue returned no API credentials");
  return created;
}
