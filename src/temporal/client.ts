import { Client, Connection } from "@temporalio/client";
import type { Config } from "../config/schema";
import { BALLAST_DATA_CONVERTER } from "./data-converter";

export class TemporalUnavailable extends Error {
  constructor(address: string, cause: unknown) {
    super(
      `cannot reach Temporal at ${address} (${(cause as Error).message}). Is \`npm start\` (or your Temporal server) running?`,
      {
        cause,
      },
    );
    this.name = "TemporalUnavailable";
  }
}

export async function connectClient(config: Config): Promise<{ client: Client; close(): Promise<void> }> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: config.temporal.address, connectTimeout: "5 seconds" });
  } catch (err) {
    throw new TemporalUnavailable(config.temporal.address, err);
  }
  // Ballast's payload converter: the workers write money as decimals, and so does this client.
  const client = new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: BALLAST_DATA_CONVERTER,
  });
  return { client, close: () => connection.close() };
}
