/**
 * Ballast's payload converter in its numeric form, for `payloadConverterPath`: reads money as decimal text
 * or numbers, writes numbers (src/temporal/payload-converter.ts, `numericPayloadConverter`).
 */
export { numericPayloadConverter as payloadConverter } from "./payload-converter";
