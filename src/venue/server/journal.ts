/**
 * The venue's journal: what a restarted venue replays to find its orders, balances and markets as they
 * were (the simulation is deterministic given its settings and its inbound requests with their times).
 *
 * A JSON-lines file, append-only. The first line is a header naming the settings the simulation depends
 * on; a venue with other settings refuses the file. Every later line is one entry: a venue start, a jump
 * of the simulation clock, a mark of how far the simulation has stepped (every second and at close, so
 * a restart replays the market up to where it stopped, or at worst a second short of a crash), or one
 * inbound request that changes state (API key derivation, an order received, an order handled, a
 * cancel, a heartbeat, an admin call), with its venue time `t`. Entries are
 * written before they take effect (a write that fails refuses the request and changes nothing), each
 * with one write(2) so a crash leaves at most the last line cut short; fsync follows in batches
 * (`fsyncEveryMs`) and at close.
 *
 * Reading: a last line that is cut short or corrupt is skipped with a one-line warning and cut off the
 * file (it was never answered, or its answer was lost with the process); a bad line anywhere else, a
 * bad header or other settings refuse the file with a one-line error (JournalError). One venue at a
 * time: a lock file with the holder's pid (a lock whose process is gone is taken over).
 */
import {
  closeSync,
  fstatSync,
  fsync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { z } from "zod";

export const JOURNAL_FILE = "journal.jsonl";
/** Held (with the holder's pid) while a venue has the journal open: two venues must not append to one file. */
export const LOCK_FILE = "journal.lock";
export const JOURNAL_FORMAT = "ballast-venue-journal";
export const JOURNAL_VERSION = 1;

export class JournalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JournalError";
  }
}

const t = z.number().finite();
const owner = z.string().min(1);

export const EntrySchema = z.discriminatedUnion("op", [
  /** A venue started: one simulation step at t (the downtime before it is not simulated step by step). */
  z.object({ op: z.literal("start"), t }).strict(),
  /** The simulation's clock fell far behind (e.g. the process was suspended): one step at t. */
  z.object({ op: z.literal("jump"), t }).strict(),
  /** The simulation has stepped up to t (written every second and at close: replay steps as far). */
  z.object({ op: z.literal("mark"), t }).strict(),
  /** API credentials derived or created (L1): the address is funded the first time. */
  z.object({ op: z.literal("key"), t, address: z.string().min(1), nonce: z.string() }).strict(),
  /** Order entries of one POST /order(s) received (journalled for GET /admin/orders), and how long held. */
  z
    .object({
      op: z.literal("recv"),
      t,
      owner,
      route: z.enum(["POST /order", "POST /orders"]),
      bodies: z.array(z.unknown()),
      heldMs: z.number().int().min(0),
    })
    .strict(),
  /** One received order entry (by its submission seq) handled. */
  z.object({ op: z.literal("place"), t, seq: z.number().int().min(1) }).strict(),
  z.object({ op: z.literal("cancel"), t, owner, ids: z.array(z.string()) }).strict(),
  z.object({ op: z.literal("cancel-all"), t, owner }).strict(),
  z
    .object({
      op: z.literal("cancel-market"),
      t,
      owner,
      market: z.string().optional(),
      assetId: z.string().optional(),
    })
    .strict(),
  z.object({ op: z.literal("heartbeat"), t, owner }).strict(),
  /** POST/DELETE /admin/fail-next-trades: how many of the next trades fail (0 clears). */
  z.object({ op: z.literal("fail-next-trades"), t, count: z.number().int().min(0) }).strict(),
  /** POST /admin/fund: pUSD micros credited. */
  z
    .object({ op: z.literal("fund"), t, address: z.string().min(1), amount: z.number().int().min(0) })
    .strict(),
]);

export type JournalEntry = z.infer<typeof EntrySchema>;

const HeaderSchema = z
  .object({
    format: z.literal(JOURNAL_FORMAT),
    version: z.number().int(),
    settings: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
  })
  .strict();

/** JSON with object keys sorted, so that equal settings compare equal as text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}

function describeSettings(settings: Record<string, unknown>, keys: readonly string[]): string {
  return keys
    .map((k) => `${k}=${settings[k] === undefined ? "(none)" : canonicalJson(settings[k])}`)
    .join(" ");
}

export interface OpenedJournal {
  file: string;
  /** The entries to replay, oldest first. */
  entries: JournalEntry[];
  writer: JournalWriter;
}

export interface OpenJournalOptions {
  dataDir: string;
  /** The settings the simulation depends on (seed, window, …): JSON values. */
  settings: Record<string, unknown>;
  /** Now, for the header of a new journal. */
  nowMs: number;
  fsyncEveryMs?: number;
  warn?: (message: string) => void;
}

/**
 * Opens (or creates) the journal in `dataDir`: checks its header against `settings`, reads its entries,
 * cuts off a damaged last line, and returns a writer appending after the last good line.
 */
export function openJournal(options: OpenJournalOptions): OpenedJournal {
  const { dataDir } = options;
  mkdirSync(dataDir, { recursive: true });
  const releaseLock = lock(path.join(dataDir, LOCK_FILE), path.join(dataDir, JOURNAL_FILE));
  try {
    const { file, entries, fd } = readAndRepair(options);
    return { file, entries, writer: new JournalWriter(fd, options.fsyncEveryMs ?? 100, releaseLock) };
  } catch (err) {
    releaseLock();
    throw err;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes the lock file (or throws JournalError naming its holder); returns its release. */
function lock(lockFile: string, journalFile: string): () => void {
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(lockFile, String(process.pid), { flag: "wx" });
      return () => rmSync(lockFile, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) {
        throw new JournalError(`venue journal ${journalFile} cannot be locked: ${(err as Error).message}`);
      }
    }
    const holder = Number(readFileSync(lockFile, "utf8").trim());
    if (Number.isSafeInteger(holder) && holder > 0 && alive(holder)) {
      throw new JournalError(
        `venue journal ${journalFile} is in use by process ${holder} (another venue on the same data directory; if none runs, remove ${lockFile})`,
      );
    }
    rmSync(lockFile, { force: true });
  }
}

function readAndRepair(options: OpenJournalOptions): { file: string; entries: JournalEntry[]; fd: number } {
  const { dataDir, settings } = options;
  const file = path.join(dataDir, JOURNAL_FILE);
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new JournalError(`venue journal ${file} cannot be read: ${(err as Error).message}`);
    }
  }

  // Split into complete lines; remember where each one ends (bytes) to cut the file after the last good one.
  const lines: { text: string; end: number }[] = [];
  let offset = 0;
  for (const part of text.split("\n")) {
    const bytes = Buffer.byteLength(part, "utf8");
    lines.push({ text: part, end: offset + bytes + 1 });
    offset += bytes + 1;
  }
  // text ends with "\n" (or is empty): the last split part is an empty remainder, not a line.
  if (lines.length > 0 && lines[lines.length - 1]!.text === "") lines.pop();

  const parse = (line: string, n: number): unknown => {
    try {
      return JSON.parse(line);
    } catch {
      throw new JournalError(`line ${n} is not JSON`);
    }
  };
  const entries: JournalEntry[] = [];
  let header: z.infer<typeof HeaderSchema> | undefined;
  let goodEnd = 0;
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const isLast = i === lines.length - 1;
    try {
      const value = parse(lines[i]!.text, n);
      if (i === 0) {
        const h = HeaderSchema.safeParse(value);
        if (!h.success) throw new JournalError(`line 1 is not a venue journal header`);
        header = h.data;
      } else {
        const e = EntrySchema.safeParse(value);
        if (!e.success) {
          const issue = e.error.issues[0];
          throw new JournalError(
            `line ${n} is not a journal entry (${issue?.path.join(".")}: ${issue?.message})`,
          );
        }
        entries.push(e.data);
      }
      goodEnd = Math.min(lines[i]!.end, Buffer.byteLength(text, "utf8"));
    } catch (err) {
      if (!(err instanceof JournalError)) throw err;
      if (!isLast) {
        throw new JournalError(
          `venue journal ${file}: ${err.message}, and entries follow it: refusing to replay a damaged journal (move the file away to start afresh)`,
        );
      }
      options.warn?.(
        `venue journal ${file}: the last line (${n}) is cut short or corrupt (${err.message}); skipping it`,
      );
    }
  }

  if (header) {
    if (header.version !== JOURNAL_VERSION) {
      throw new JournalError(
        `venue journal ${file} has version ${header.version}, this venue reads version ${JOURNAL_VERSION}: move the file away to start afresh`,
      );
    }
    const keys = [...new Set([...Object.keys(header.settings), ...Object.keys(settings)])].sort();
    const differ = keys.filter((k) => canonicalJson(header!.settings[k]) !== canonicalJson(settings[k]));
    if (differ.length > 0) {
      throw new JournalError(
        `venue journal ${file} was written with ${describeSettings(header.settings, differ)} but this venue has ${describeSettings(settings, differ)}: refusing to replay it (start with the same settings, or move the file away to start afresh)`,
      );
    }
  }

  const fix = openSync(file, header ? "r+" : "w+");
  try {
    if (header) {
      if (fstatSync(fix).size !== goodEnd) ftruncateSync(fix, goodEnd);
      // A last good line without its newline (cut just before it) gets one, so appends start a new line.
      if (goodEnd > 0 && !text.endsWith("\n") && goodEnd === Buffer.byteLength(text, "utf8"))
        writeSync(fix, "\n", goodEnd);
    } else {
      ftruncateSync(fix, 0);
      const h = {
        format: JOURNAL_FORMAT,
        version: JOURNAL_VERSION,
        settings,
        createdAt: new Date(options.nowMs).toISOString(),
      };
      writeSync(fix, `${JSON.stringify(h)}\n`, 0);
    }
    fsyncSync(fix);
  } finally {
    closeSync(fix);
  }
  return { file, entries, fd: openSync(file, "a") };
}

/** Appends entries (O_APPEND): one write each, fsync batched. */
export class JournalWriter {
  #fd: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #syncing = false;
  #dirty = false;

  constructor(
    fd: number,
    private readonly fsyncEveryMs: number,
    private readonly release: () => void = () => undefined,
  ) {
    this.#fd = fd;
  }

  /** Writes the entry (throws if it cannot: the caller must not apply it). */
  append(entry: JournalEntry): void {
    if (this.#fd === undefined) throw new JournalError("the venue journal is closed");
    const line = Buffer.from(`${JSON.stringify(entry)}\n`, "utf8");
    let done = 0;
    while (done < line.length) done += writeSync(this.#fd, line, done, line.length - done);
    this.#dirty = true;
    if (!this.#timer && !this.#syncing) {
      this.#timer = setTimeout(() => this.#sync(), this.fsyncEveryMs);
      this.#timer.unref();
    }
  }

  #sync(): void {
    this.#timer = undefined;
    const fd = this.#fd;
    if (fd === undefined || !this.#dirty) return;
    this.#dirty = false;
    this.#syncing = true;
    fsync(fd, () => {
      this.#syncing = false;
      if (this.#dirty && !this.#timer && this.#fd !== undefined) {
        this.#timer = setTimeout(() => this.#sync(), this.fsyncEveryMs);
        this.#timer.unref();
      }
    });
  }

  /** Flushes to disk and closes; appends afterwards throw. */
  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const fd = this.#fd;
    if (fd === undefined) return;
    this.#fd = undefined;
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
      this.release();
    }
  }
}
