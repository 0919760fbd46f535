/**
 * Predictions as a service desk reads them: one row per ticket with the top label, the runner-up, and a
 * review flag; and Comprehend's asynchronous classification output (predictions.jsonl inside output.tar.gz,
 * one line per input line) joined back to the ticket ids the input lines stood for.
 */
import { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { extract } from "tar-stream";
import type { RESULT_COLUMNS } from "../../contract/batch";

export interface ScoredClass {
  readonly Name: string;
  readonly Score: number;
}

export type ResultRow = Record<(typeof RESULT_COLUMNS)[number], string>;

/** The row of one ticket; classes in any order. */
export function resultRow(id: string, classes: readonly ScoredClass[], reviewThreshold: number): ResultRow {
  const [top, second] = [...classes].sort((a, b) => b.Score - a.Score);
  return {
    id,
    predicted_label: top?.Name ?? "",
    score: top === undefined ? "" : String(top.Score),
    runner_up_label: second?.Name ?? "",
    runner_up_score: second === undefined ? "" : String(second.Score),
    needs_review: String((top?.Score ?? 0) < reviewThreshold),
  };
}

export class PredictionsError extends Error {
  override readonly name = "PredictionsError";
}

/** Comprehend's predictions, by input line (0-based), from the job's output.tar.gz. */
export async function readPredictions(archive: Uint8Array): Promise<Map<number, ScoredClass[]>> {
  let tar: Buffer;
  try {
    tar = gunzipSync(archive);
  } catch (cause) {
    throw new PredictionsError("output.tar.gz is not gzip data", { cause });
  }
  const predictions = new Map<number, ScoredClass[]>();
  const entries = extract();
  const done = new Promise<void>((resolve, reject) => {
    entries.on("entry", (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: unknown) => chunks.push(chunk as Buffer));
      stream.on("end", () => {
        if (header.name.endsWith(".jsonl") || header.name.split("/").pop() === "predictions.jsonl") {
          for (const [n, line] of Buffer.concat(chunks).toString("utf8").split("\n").entries()) {
            if (line.trim() === "") continue;
            let record: { Line?: unknown; Classes?: unknown };
            try {
              record = JSON.parse(line);
            } catch (cause) {
              reject(new PredictionsError(`${header.name} line ${n + 1} is not JSON`, { cause }));
              return;
            }
            if (typeof record.Line !== "number" || !Array.isArray(record.Classes)) {
              reject(new PredictionsError(`${header.name} line ${n + 1} has no Line and Classes`));
              return;
            }
            predictions.set(record.Line, record.Classes as ScoredClass[]);
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
  return predictions;
}

/**
 * Every ticket once, in input order: its prediction, or a row flagged for review when Comprehend returned none
 * for its line (the job skips documents it cannot read).
 */
export function joinPredictions(
  ids: readonly string[],
  predictions: ReadonlyMap<number, readonly ScoredClass[]>,
  reviewThreshold: number,
): { rows: ResultRow[]; missing: string[] } {
  const missing: string[] = [];
  const rows = ids.map((id, line) => {
    const classes = predictions.get(line);
    if (!classes) missing.push(id);
    return resultRow(id, classes ?? [], reviewThreshold);
  });
  return { rows, missing };
}
