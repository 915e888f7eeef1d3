/**
 * Balances of the accounts trading on the simulated venue, in micros.
 *
 * An account holds pUSD collateral and shares of outcome tokens. Part of each holding can be
 *   - reserved: promised to the account's open orders (BUY: price × size rounded up, SELL: the shares), and
 *   - pending: received in a trade that is MATCHED but not yet MINED. Like the real venue, where proceeds
 *     only exist once the settlement transaction is mined, pending amounts cannot back new orders yet; and
 *     a trade that FAILS takes them back, which therefore can never drive a balance negative.
 * available = total − reserved − pending.
 */
import type { Micros } from "../../money";

export class AccountState {
  collateral: Micros = 0;
  reservedCollateral: Micros = 0;
  pendingCollateral: Micros = 0;
  readonly shares = new Map<string, Micros>();
  readonly reservedShares = new Map<string, Micros>();
  readonly pendingShares = new Map<string, Micros>();

  constructor(readonly address: string) {}

  availableCollateral(): Micros {
    return this.collateral - this.reservedCollateral - this.pendingCollateral;
  }

  sharesOf(tokenId: string): Micros {
    return this.shares.get(tokenId) ?? 0;
  }

  availableShares(tokenId: string): Micros {
    return (
      (this.shares.get(tokenId) ?? 0) -
      (this.reservedShares.get(tokenId) ?? 0) -
      (this.pendingShares.get(tokenId) ?? 0)
    );
  }

  addShares(tokenId: string, delta: Micros): void {
    bump(this.shares, tokenId, delta);
  }

  addReservedShares(tokenId: string, delta: Micros): void {
    bump(this.reservedShares, tokenId, delta);
  }

  addPendingShares(tokenId: string, delta: Micros): void {
    bump(this.pendingShares, tokenId, delta);
  }
}

function bump(map: Map<string, Micros>, key: string, delta: Micros): void {
  if (delta === 0) return;
  const next = (map.get(key) ?? 0) + delta;
  if (next === 0) map.delete(key);
  else map.set(key, next);
}

/** What `balance(account)` answers. */
export interface AccountBalance {
  /** pUSD held, including what open orders reserve and what unsettled trades brought in. */
  collateral: Micros;
  /** pUSD that can back a new order. */
  availableCollateral: Micros;
  /** Shares held per token (tokens with a non-zero holding). */
  shares: Record<string, Micros>;
  /** Shares per token that can back a new SELL. */
  availableShares: Record<string, Micros>;
}

/** Accounts by lower-cased address, in the order they first appeared. */
export class Ledger {
  private readonly accounts = new Map<string, AccountState>();

  static key(address: string): string {
    return address.toLowerCase();
  }

  get(address: string): AccountState {
    const key = Ledger.key(address);
    let account = this.accounts.get(key);
    if (!account) {
      account = new AccountState(key);
      this.accounts.set(key, account);
    }
    return account;
  }

  find(address: string): AccountState | undefined {
    return this.accounts.get(Ledger.key(address));
  }

  all(): IterableIterator<AccountState> {
    return this.accounts.values();
  }

  balance(address: string): AccountBalance {
    const account = this.find(address);
    const shares: Record<string, Micros> = {};
    const availableShares: Record<string, Micros> = {};
    if (!account) return { collateral: 0, availableCollateral: 0, shares, availableShares };
    for (const [tokenId, amount] of account.shares) {
      shares[tokenId] = amount;
      availableShares[tokenId] = account.availableShares(tokenId);
    }
    return {
      collateral: account.collateral,
      availableCollateral: account.availableCollateral(),
      shares,
      availableShares,
    };
  }
}
