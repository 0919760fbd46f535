/**
 * Predictions as a service desk reads them: one row per ticket with the top label, the runner-up, and a
 * review flag with its reason; and Comprehend's asynchronous classification output (the predictions file
 * inside output.tar.gz, one line per input line) joined back to the ticket ids the input lines stood for.
 *
 * The output's shape is the one documented in "Outputs for asynchronous analysis jobs" (Amazon Comprehend
 * Developer Guide): with one document per line, each output line is
 * `{"File": "file1.txt", "Line": "0", "Classes": [{"Name": ..., "Score": ...}, ...]}`, the zero-based input
 * line written as a string, and `Labels` instead of `Classes` for a multi-label classifier.
 */
import { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { extract } from "tar-stream";
import type { RESULT_COLUMNS } from "../../contract/batch";
import { routes, type ThresholdRule, thresholdOfRule } from "../pipeline-shared/routing-thresholds";

export interface ScoredClass {
  readonly Name: string;
  readonly Score: number;
}

export type ResultRow = Record<(typeof RESULT_COLUMNS)[number], string>;

/** Why a ticket needs a person, in the words the results CSV and the email use. */
export const REVIEW_REASONS = {
  lowScore: "low score",
  empty: "empty ticket",
  noPrediction: "no prediction",
  error: (message: string) => `Comprehend could not classify it: ${message}`,
} as const;

/** The row of one ticket; classes in any order. */
export function resultRow(
  id: string,
  classes: readonly ScoredClass[],
  reviewThreshold: ThresholdRule,
): ResultRow {
  const [top, second] = [...classes].sort((a, b) => b.Score - a.Score);
  const low = !top || !routes(top.Score, thresholdOfRule(reviewThreshold)(top.Name));
  return {
    id,
    predicted_label: top?.Name ?? "",
    score: top === undefined ? "" : String(top.Score),
    runner_up_label: second?.Name ?? "",
    runner_up_score: second === undefined ? "" : String(second.Score),
    needs_review: String(low),
    review_reason: top === undefined ? REVIEW_REASONS.noPrediction : low ? REVIEW_REASONS.lowScore : "",
  };
}

/** The row of a ticket that got no label: empty, unreadable for Comprehend, or missing from the output. */
export function unclassifiedRow(id: string, reason: string): ResultRow {
  return {
    id,
    predicted_label: "",
    score: "",
    runner_up_label: "",
    runner_up_score: "",
    needs_review: "true",
    review_reason: reason,
  };
}

export class PredictionsError extends Error {
  override readonly name = "PredictionsError";
}

/** One input line's outcome: its classes, or Comprehend's error for it. */
export type LinePrediction = { readonly classes: readonly ScoredClass[] } | { readonly error: string };

export interface Predictions {
  /** By zero-based input line. */
  readonly byLine: ReadonlyMap<number, LinePrediction>;
  /** Output lines that could not be read (not JSON, no line number): their tickets count as missing. */
  readonly unreadable: readonly { readonly file: string; readonly line: number; readonly problem: string }[];
}

function lineNumber(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === "string" && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

function scoredClasses(value: unknown): ScoredClass[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const classes = value.filter(
    (c): c is ScoredClass =>
      typeof c === "object" && c !== null && typeof c.Name === "string" && typeof c.Score === "number",
  );
  return classes.length === value.length ? classes : undefined;
}

/** Reads one output line; never throws, so that one bad line costs one ticket, not the whole archive. */
export function parsePredictionLine(
  text: string,
): { line: number; prediction: LinePrediction } | { problem: string } {
  let record: Record<string, unknown>;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      return { problem: "not a JSON object" };
    }
    record = parsed as Record<string, unknown>;
  } catch {
    return { problem: "not JSON" };
  }
  const line = lineNumber(record.Line);
  if (line === undefined) return { problem: `no input line number (Line: ${JSON.stringify(record.Line)})` };
  const classes = scoredClasses(record.Classes ?? record.Labels);
  if (classes) return { line, prediction: { classes } };
  const message = [record.ErrorCode, record.ErrorMessage]
    .filter((part) => typeof part === "string")
    .join(": ");
  return { line, prediction: { error: message || "the output line has neither Classes nor Labels" } };
}

/** Comprehend's predictions from the job's output.tar.gz, by input line. */
export async function readPredictions(archive: Uint8Array): Promise<Predictions> {
  let tar: Buffer;
  try {
    tar = gunzipSync(archive);
  } catch (cause) {
    throw new PredictionsError("output.tar.gz is not gzip data", { cause });
  }
  const byLine = new Map<number, LinePrediction>();
  const unreadable: { file: string; line: number; problem: string }[] = [];
  const entries = extract();
  const done = new Promise<void>((resolve, reject) => {
    entries.on("entry", (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: unknown) => chunks.push(chunk as Buffer));
      stream.on("end", () => {
        // The documentation names no file ("a text file with the output"): every regular file is read.
        if (header.type === "file" || header.type === undefined) {
          for (const [n, text] of Buffer.concat(chunks).toString("utf8").split(/\r?\n/).entries()) {
            if (text.trim() === "") continue;
            const parsed = parsePredictionLine(text);
            if ("problem" in parsed)
              unreadable.push({ file: header.name, line: n + 1, problem: parsed.problem });
            else byLine.set(parsed.line, parsed.prediction);
          }
        }
        next();
      });
      stream.resume();
    });
    entries.on("finish", resolve);
    entries.on("error", (error) =>
      reject(new PredictionsError(`output.tar.gz is not a tar archive: ${error.message}`)),
    );
  });
  Readable.from([tar]).pipe(entries);
  await done;
  return { byLine, unreadable };
}

/**
 * Every ticket once, in input order. `documentIds[n]` is the ticket that input line n stands for; tickets not
 * sent to Comprehend (empty ones) are in `tickets` only. A ticket whose line has no usable prediction is
 * flagged for review with the reason.
 */
export function joinPredictions(
  tickets: readonly string[],
  documentIds: readonly string[],
  predictions: Predictions,
  reviewThreshold: ThresholdRule,
): { rows: ResultRow[]; missing: string[]; failed: string[] } {
  const lineOf = new Map(documentIds.map((id, line) => [id, line]));
  const missing: string[] = [];
  const failed: string[] = [];
  const rows = tickets.map((id) => {
    const line = lineOf.get(id);
    if (line === undefined) return unclassifiedRow(id, REVIEW_REASONS.empty);
    const prediction = predictions.byLine.get(line);
    if (!prediction) {
      missing.push(id);
      return unclassifiedRow(id, REVIEW_REASONS.noPrediction);
    }
    if ("error" in prediction) {
      failed.push(id);
      return unclassifiedRow(id, REVIEW_REASONS.error(prediction.error));
    }
    return resultRow(id, prediction.classes, reviewThreshold);
  });
  return { rows, missing, failed };
}
