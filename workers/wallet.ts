/**
 * The trading wallet. Production: POLY_PRIVATE_KEY. Paper trading on the embedded simulator: a
 * key generated once and kept in `<dataDir>/paper-wallet.json`, so restarts trade as the same
 * account.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Wallet } from "ethers";

export function paperWalletKey(dataDir: string): string {
  const file = path.resolve(dataDir, "paper-wallet.json");
  if (existsSync(file)) {
    const { privateKey } = JSON.parse(readFileSync(file, "utf8")) as { privateKey: string };
    return privateKey;
  }
  mkdirSync(path.dirname(file), { recursive: true });
  const wallet = Wallet.createRandom();
  writeFileSync(
    file,
    `${JSON.stringify({ address: wallet.address, privateKey: wallet.privateKey }, null, 2)}\n`,
    { mode: 0o600 },
  );
  return wallet.privateKey;
}
