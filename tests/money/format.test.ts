/** What a person reads: amounts rounded to cents, exactly, sign first. */
import { formatRounded, formatUsd } from "../../src/money";

describe("formatUsd", () => {
  it("rounds to the cent, half away from zero, and puts the sign before the dollar", () => {
    expect(formatUsd(1_260_116)).toBe("$1.26");
    expect(formatUsd(221_110)).toBe("$0.22");
    expect(formatUsd(5_000)).toBe("$0.01");
    expect(formatUsd(4_999)).toBe("$0.00");
    expect(formatUsd(-5_000)).toBe("-$0.01");
    expect(formatUsd(-4_999)).toBe("$0.00");
    expect(formatUsd(-100_000)).toBe("-$0.10");
    expect(formatUsd(0)).toBe("$0.00");
    expect(formatUsd(12_345_995_000)).toBe("$12346.00");
  });

  it("shows exactly the asked number of decimals", () => {
    expect(formatRounded(10_257_950, 2)).toBe("10.26");
    expect(formatRounded(10_000_000, 2)).toBe("10.00");
    expect(formatRounded(1_234_567, 0)).toBe("1");
    expect(() => formatRounded(1.5, 2)).toThrow(/integer/);
  });
});
