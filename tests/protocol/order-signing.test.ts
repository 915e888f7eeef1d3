import { TypedDataEncoder, Wallet } from "ethers";
import fc from "fast-check";
import {
  exchangeDomain,
  ORDER_TYPES,
  type OrderStruct,
  orderDigest,
  recoverSigner,
  ZERO_BYTES32,
} from "../../src/protocol/order-signing";

describe("V2 order digest and signer recovery (the venue's fast path)", () => {
  const wallet = Wallet.createRandom();

  it("agrees with ethers' EIP-712 hashing and recovery for any order", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          salt: fc.bigInt({ min: 0n, max: (1n << 53n) - 1n }),
          tokenId: fc.bigInt({ min: 1n, max: (1n << 255n) - 1n }),
          makerAmount: fc.bigInt({ min: 1n, max: 10n ** 15n }),
          takerAmount: fc.bigInt({ min: 1n, max: 10n ** 15n }),
          side: fc.constantFrom(0 as const, 1 as const),
          negRisk: fc.boolean(),
        }),
        async (o) => {
          const order: OrderStruct = {
            salt: o.salt.toString(),
            maker: wallet.address,
            signer: wallet.address,
            tokenId: o.tokenId.toString(),
            makerAmount: o.makerAmount.toString(),
            takerAmount: o.takerAmount.toString(),
            side: o.side,
            signatureType: 0,
            timestamp: "1777000000000",
            metadata: ZERO_BYTES32,
            builder: ZERO_BYTES32,
          };
          const domain = exchangeDomain(137, o.negRisk);
          const digest = orderDigest(137, o.negRisk, order);
          expect(digest).toBe(TypedDataEncoder.hash(domain, ORDER_TYPES, order));
          const signature = await wallet.signTypedData(domain, ORDER_TYPES, order);
          expect(recoverSigner(digest, signature)).toBe(wallet.address);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("recovers someone else for a tampered digest and throws on a malformed signature", async () => {
    const order: OrderStruct = {
      salt: "1",
      maker: wallet.address,
      signer: wallet.address,
      tokenId: "42",
      makerAmount: "500000",
      takerAmount: "1000000",
      side: 0,
      signatureType: 0,
      timestamp: "1",
      metadata: ZERO_BYTES32,
      builder: ZERO_BYTES32,
    };
    const signature = await wallet.signTypedData(exchangeDomain(137, false), ORDER_TYPES, order);
    const other = orderDigest(137, false, { ...order, makerAmount: "100000" });
    expect(recoverSigner(other, signature)).not.toBe(wallet.address);
    expect(() => recoverSigner(other, "0x1234")).toThrow(/65 bytes/);
  });
});
