/**
 * The `ballast` command line. Each subcommand loads only what it needs.
 */
import { Command, CommanderError } from "commander";
import { ConfigError, loadConfig } from "../config/load";
import { REDACTED } from "../log";
import { addControlCommands } from "./control";
import { runDecode } from "./decode";
import { addReportCommand } from "./report";
import { stdoutErrorHandler } from "./stdout-closed";
import { addVenueCommand } from "./venue";
import { addWorkerCommands } from "./workers";

function printConfig(options: { config?: string }): void {
  const config = loadConfig(options.config ? { file: options.config } : {});
  const shown = {
    ...config,
    secrets: Object.fromEntries(
      (["privateKey", "apiKey", "apiSecret", "passphrase"] as const).map((k) => [
        k,
        config.secrets[k] ? REDACTED : null,
      ]),
    ),
  };
  process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name("ballast")
    .description("Durable Polymarket CLOB V2 trading on Temporal: arbitrage with active position management.")
    .showHelpAfterError()
    .exitOverride();

  program
    .command("config")
    .description(
      "validate the configuration (defaults < --config file < environment) and print it, secrets redacted",
    )
    .option("-c, --config <file>", "JSON config file (default: $BALLAST_CONFIG)")
    .action(printConfig);

  program
    .command("decode")
    .description(
      "decode captured channel frames: one JSON frame per line on stdin, one normalized event per line on stdout",
    )
    .action(async () => {
      const { lines, bad } = await runDecode(
        process.stdin,
        (line) => process.stdout.write(`${line}\n`),
        (line) => process.stderr.write(`${line}\n`),
      );
      if (bad > 0) {
        process.stderr.write(`ballast decode: ${bad} of ${lines} line(s) did not decode\n`);
        process.exitCode = 1;
      }
    });

  addVenueCommand(program);
  addWorkerCommands(program);
  addControlCommands(program);
  addReportCommand(program);

  return program;
}

export async function main(argv: string[]): Promise<void> {
  // `ballast decode … | head` closes our stdout early: that is the reader's choice, not an error.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    // `ballast start` stops its child processes first: exiting here would orphan them.
    const handler = stdoutErrorHandler();
    if (handler) return handler(err);
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander has already printed its message (help, unknown option, …).
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`ballast: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
}
