/**
 * Deterministic order salts for workflows (no node:crypto in the workflow sandbox): the low 53 bits
 * of FNV-1a-64 of a key such as `${workflowId}/${orderSeq}`. The client sends the salt as a JSON
 * number, so it must stay a safe integer.
 */
const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK_64 = (1n << 64n) - 1n;
const MASK_53 = (1n << 53n) - 1n;

export function orderSalt(key: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < key.length; i++) {
    h ^= BigInt(key.charCodeAt(i));
    h = (h * FNV_PRIME) & MASK_64;
  }
  return Number(h & MASK_53);
}
