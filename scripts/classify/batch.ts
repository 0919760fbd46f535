/**
 * `npm run classify -- --csv tickets.csv --id-column number --text-columns a,b`: every ticket of an export
 * through the deployed API, a bounded number at a time, with 429 and 503 retried (the server's Retry-After
 * first, exponential backoff otherwise). Each result is appended to the results CSV as it arrives, so an
 * interrupted run resumes where it stopped and never sends a finished ticket again.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { parse } from "csv-parse/sync";
import { stringify } from "csv-stringify/sync";
import { RESULT_COLUMNS } from "../../contract/batch";
import { REVIEW_REASONS, resultRow, type ScoredClass, unclassifiedRow } from "../../functions/batch/results";
import { parseBacklog } from "../../functions/batch/tickets";
import { UsageError } from "./args";
import type { HttpAnswer } from "./request";
import { isExpiredCredentials } from "./response";

export { RESULT_COLUMNS };

export interface BatchOptions {
  readonly csv: string;
  readonly idColumn: string;
  readonly textColumns: readonly string[];
  readonly out: string;
  readonly concurrency: number;
  /** Below this top score a ticket is flagged for a person to check. */
  readonly reviewThreshold: number;
  readonly maxAttempts?: number;
}

export interface BatchDeps {
  /** Signs with the credentials current at the time of the call, so a run of hours outlives them. */
  readonly classify: (text: string) => Promise<HttpAnswer>;
  /** Fetches new credentials (SSO or an assumed role expire after about an hour). */
  readonly refreshCredentials?: () => Promise<void>;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly progress?: (done: number, total: number) => void;
}

export interface BatchSummary {
  readonly total: number;
  readonly alreadyDone: number;
  readonly written: number;
  readonly failed: readonly { readonly id: string; readonly message: string }[];
  readonly needsReview: number;
}

interface Ticket {
  readonly id: string;
  readonly text: string;
}

/** The export's tickets; a file that cannot be read or lacks a named column is a usage error. */
export function readTickets(
  options: Pick<BatchOptions, "csv" | "idColumn" | "textColumns">,
): readonly Ticket[] {
  let content: string;
  try {
    content = readFileSync(options.csv, "utf8");
  } catch (error) {
    throw new UsageError(`Cannot read ${options.csv}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return parseBacklog(content, {
      idColumn: options.idColumn,
      textColumns: options.textColumns,
      settings: { id: "--id-column", text: "--text-columns" },
    }).tickets;
  } catch (error) {
    throw new UsageError(`${options.csv}: ${(error as Error).message}`, { cause: error });
  }
}

/** Ids already in the results file, from an earlier run of the same export. */
function finishedIds(out: string): Set<string> {
  if (!existsSync(out)) return new Set();
  const records = parse(readFileSync(out, "utf8"), { columns: true, skip_empty_lines: true }) as Record<
    string,
    string
  >[];
  return new Set(records.map((record) => record.id as string));
}

function classesOf(answer: HttpAnswer): ScoredClass[] {
  const parsed = JSON.parse(answer.body) as { body?: unknown };
  const classes = Array.isArray(parsed.body) ? (parsed.body as ScoredClass[]) : [];
  if (classes.length === 0) throw new Error("the API answered without classes");
  return classes;
}

const RETRIED = new Set([429, 503]);

/** One ticket, retried on throttling and on an endpoint that is not in service yet. */
async function classifyOne(ticket: Ticket, options: BatchOptions, deps: BatchDeps): Promise<ScoredClass[]> {
  const maxAttempts = options.maxAttempts ?? 8;
  for (let attempt = 1; ; attempt++) {
    const answer = await deps.classify(ticket.text);
    if (answer.status >= 200 && answer.status < 300) return classesOf(answer);
    if (isExpiredCredentials(answer) && deps.refreshCredentials && attempt < maxAttempts) {
      await deps.refreshCredentials();
      continue;
    }
    if (!RETRIED.has(answer.status) || attempt >= maxAttempts) {
      throw new Error(
        `${answer.status} from the API after ${attempt} attempt(s): ${answer.body.slice(0, 200)}`,
      );
    }
    const retryAfter = Number(answer.headers["retry-after"]);
    const backoff = Math.min(20_000, 500 * 2 ** (attempt - 1)) * (0.5 + deps.random() / 2);
    await deps.sleep(Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1000 : backoff);
  }
}

export async function classifyCsv(
  options: BatchOptions,
  tickets: readonly Ticket[],
  deps: BatchDeps,
): Promise<BatchSummary> {
  const done = finishedIds(options.out);
  const pending = tickets.filter((ticket) => !done.has(ticket.id));
  if (!existsSync(options.out))
    writeFileSync(options.out, stringify([RESULT_COLUMNS as unknown as string[]]));
  const failed: { id: string; message: string }[] = [];
  let written = 0;
  let needsReview = 0;
  let next = 0;
  const worker = async () => {
    while (next < pending.length) {
      const ticket = pending[next++] as Ticket;
      try {
        // An empty ticket has nothing to classify: the API would refuse it (400) and every resume would retry it.
        const row =
          ticket.text.trim() === ""
            ? unclassifiedRow(ticket.id, REVIEW_REASONS.empty)
            : resultRow(ticket.id, await classifyOne(ticket, options, deps), options.reviewThreshold);
        if (row.needs_review === "true") needsReview++;
        appendFileSync(options.out, stringify([RESULT_COLUMNS.map((column) => row[column])]));
        written++;
      } catch (error) {
        failed.push({ id: ticket.id, message: (error as Error).message });
      }
      deps.progress?.(done.size + written + failed.length, tickets.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  return { total: tickets.length, alreadyDone: done.size, written, failed, needsReview };
}

/** A progress line with rate and time left on a terminal; a line per tenth otherwise, for logs. */
export function progressPrinter(stream: NodeJS.WriteStream, now: () => number = Date.now) {
  const started = now();
  let lastTenth = -1;
  return (done: number, total: number) => {
    const seconds = (now() - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const left = rate > 0 ? Math.round((total - done) / rate) : 0;
    const line = `${done}/${total} tickets, ${rate.toFixed(1)}/s, about ${left} s left`;
    if (stream.isTTY) {
      const width = 30;
      const filled = Math.round((done / Math.max(1, total)) * width);
      stream.write(`\r[${"#".repeat(filled)}${" ".repeat(width - filled)}] ${line}`);
      if (done === total) stream.write("\n");
    } else if (Math.floor((done / Math.max(1, total)) * 10) !== lastTenth) {
      lastTenth = Math.floor((done / Math.max(1, total)) * 10);
      stream.write(`${line}\n`);
    }
  };
}
