/**
 * Ballast's data converter for Clients and Workers: the SDK's default, but with the payload converter of
 * src/temporal/payload-converter.ts (money as decimal text in every payload). Kept apart from bundle.ts so
 * that a client (the CLI) does not load the worker package.
 *
 * Every party must use it together: the workers (with a workflow bundle built with it too:
 * `ballastWorkerCode()` in bundle.ts), every client that starts, signals, updates or queries Ballast's
 * workflows or reads their results, and the replay.
 */
import type { DataConverter } from "@temporalio/common";

/** The module Temporal loads Ballast's payload converter from (`payloadConverterPath`). */
export const PAYLOAD_CONVERTER_PATH: string = require.resolve("./payload-converter");

/** `dataConverter` of a Client or a Worker. */
export const BALLAST_DATA_CONVERTER: DataConverter = { payloadConverterPath: PAYLOAD_CONVERTER_PATH };

/**
 * Reads money as decimal text or numbers, writes numbers as the SDK's default converter does: for a client
 * that talks to workers of either kind (the tests' dev-server client), or for every party in the first step
 * of a rolling deployment, before any writes decimal text.
 */
export const NUMERIC_DATA_CONVERTER: DataConverter = {
  payloadConverterPath: require.resolve("./payload-converter-numeric"),
};
