/**
 * Exact money for Ballast.
 *
 * The venue settles pUSD and outcome shares in 6-decimal base units, and quotes prices on
 * ticks of 0.01 / 0.001 / 0.0001. Every price, size, cost and fee in Ballast is therefore an
 * integer count of micro-units ("micros", 1e-6). Integers below 2^53 are exact in a JS
 * number, so sums, differences and comparisons are exact; products and quotients go through
 * BigInt and round explicitly. Floats appear only at the edges (display, statistics).
 */

export const MICROS_PER_UNIT = 1_000_000;
const SCALE_BIG = 1_000_000n;

/** An integer number of 1e-6 units (pUSD, shares, or price per share). */
export type Micros = number;

export class DecimalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DecimalError";
  }
}

const DECIMAL_RE = /^([+-]?)(\d+)?(?:\.(\d*))?$/;

/**
 * Parses a decimal string (as the venue sends it: "0.51", "150.0", "3300", ".5") into micros,
 * exactly. More than 6 significant decimals is an error rather than a silent rounding.
 * Finite JS numbers are accepted too (Gamma sends some fields as numbers).
 */
export function parseMicros(input: string | number): Micros {
  let s: string;
  if (typeof input === "number") {
    if (!Number.isFinite(input)) throw new DecimalError(`not a finite number: ${input}`);
    // toFixed(7) avoids exponent notation and keeps a guard digit for the exactness check below.
    s = input.toFixed(7);
  } else {
    s = input.trim();
  }
  const m = DECIMAL_RE.exec(s);
  if (!m || (m[2] === undefined && (m[3] === undefined || m[3] === ""))) {
    throw new DecimalError(`not a decimal number: ${JSON.stringify(input)}`);
  }
  const sign = m[1] === "-" ? -1 : 1;
  const whole = m[2] ?? "0";
  let frac = m[3] ?? "";
  if (frac.length > 6) {
    if (/[^0]/.test(frac.slice(6))) {
      throw new DecimalError(`more than 6 decimals: ${JSON.stringify(input)}`);
    }
    frac = frac.slice(0, 6);
  }
  const value = Number(whole) * MICROS_PER_UNIT + Number(frac.padEnd(6, "0"));
  if (!Number.isSafeInteger(value)) throw new DecimalError(`out of range: ${JSON.stringify(input)}`);
  return sign * value || 0;
}

/** Like parseMicros, but returns undefined for "", null or undefined (the venue's "no value"). */
export function parseOptionalMicros(input: string | number | null | undefined): Micros | undefined {
  if (input === undefined || input === null || input === "") return undefined;
  return parseMicros(input);
}

/** Formats micros as a plain decimal string without trailing zeros: 510000 -> "0.51". */
export function formatMicros(m: Micros, minDecimals = 0): string {
  if (!Number.isInteger(m)) throw new DecimalError(`micros must be an integer, got ${m}`);
  const neg = m < 0;
  const abs = Math.abs(m);
  const whole = Math.floor(abs / MICROS_PER_UNIT);
  let frac = String(abs % MICROS_PER_UNIT).padStart(6, "0");
  frac = frac.replace(/0+$/, "");
  if (frac.length < minDecimals) frac = frac.padEnd(minDecimals, "0");
  return `${neg ? "-" : ""}${whole}${frac ? `.${frac}` : ""}`;
}

/**
 * Micros rounded to `decimals` places (half away from zero, exactly) and shown with exactly that many:
 * what a person reads in a live view (1_260_116 → "1.26"). Never use the result for arithmetic.
 */
export function formatRounded(m: Micros, decimals: number): string {
  if (!Number.isInteger(m)) throw new DecimalError(`micros must be an integer, got ${m}`);
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 6)
    throw new DecimalError(`decimals must be a whole number from 0 to 6, got ${decimals}`);
  const step = 10 ** (6 - decimals);
  const abs = Math.abs(m);
  const rounded = Math.floor((abs + step / 2) / step) * step;
  const text = formatMicros(rounded, decimals);
  return m < 0 && rounded > 0 ? `-${text}` : text;
}

/** A pUSD amount for a person: dollars and cents, sign first ("-$0.10", "$1.26"). */
export function formatUsd(m: Micros): string {
  const text = formatRounded(m, 2);
  return text.startsWith("-") ? `-$${text.slice(1)}` : `$${text}`;
}

/** Micros to a float, for display and statistics only. */
export function toUnits(m: Micros): number {
  return m / MICROS_PER_UNIT;
}

/** Units (a float from a config file or a human) to micros, rounded to the nearest micro. */
export function fromUnits(units: number): Micros {
  return Math.round(units * MICROS_PER_UNIT);
}

export type Rounding = "down" | "up" | "half-up";

function divRound(num: bigint, den: bigint, mode: Rounding): bigint {
  if (den <= 0n) throw new DecimalError("division by a non-positive amount");
  const neg = num < 0n;
  const a = neg ? -num : num;
  let q = a / den;
  const r = a % den;
  if (r !== 0n) {
    // "down" / "up" are toward -inf / +inf.
    if (mode === "half-up" && r * 2n >= den) q += 1n;
    else if (mode === "up" && !neg) q += 1n;
    else if (mode === "down" && neg) q += 1n;
  }
  return neg ? -q : q;
}

function toSafe(b: bigint): Micros {
  const n = Number(b);
  if (!Number.isSafeInteger(n)) throw new DecimalError(`result out of range: ${b}`);
  return n;
}

/** a × b for two micro quantities (e.g. shares × price = pUSD), rounded as asked. */
export function mulMicros(a: Micros, b: Micros, mode: Rounding = "half-up"): Micros {
  return toSafe(divRound(BigInt(a) * BigInt(b), SCALE_BIG, mode));
}

/** a ÷ b for two micro quantities (e.g. pUSD ÷ price = shares), rounded as asked. */
export function divMicros(a: Micros, b: Micros, mode: Rounding = "down"): Micros {
  return toSafe(divRound(BigInt(a) * SCALE_BIG, BigInt(b), mode));
}

/** Rounds a quantity to a multiple of `step` micros (a tick, a lot, 10^k decimals). */
export function roundToStep(m: Micros, step: Micros, mode: Rounding): Micros {
  if (step <= 0) throw new DecimalError(`step must be positive, got ${step}`);
  return toSafe(divRound(BigInt(m), BigInt(step), mode) * BigInt(step));
}

export function isMultipleOf(m: Micros, step: Micros): boolean {
  return step > 0 && m % step === 0;
}

/** One whole unit ($1 or 1 share) in micros. */
export const ONE: Micros = MICROS_PER_UNIT;
