/**
 * The trained model's report, side by side with the baseline's: Comprehend writes the confusion matrix of its
 * own test documents into output.tar.gz ("Classifier training output", Amazon Comprehend Developer Guide:
 * `confusion_matrix.json` with `labels` and `confusion_matrix`, rows the actual labels). The notify function
 * reads it, computes the same figures as the baseline's, and writes the report next to the baseline's.
 */

import { Readable } from "node:stream";
import { gunzipSync } from "node:zlib";
import { extract } from "tar-stream";
import type { Evaluation } from "../evaluation/evaluate";
import { type Metrics, metricsFromMatrix } from "../evaluation/metrics";

export class ModelOutputError extends Error {
  override readonly name = "ModelOutputError";
}

export interface ComprehendConfusion {
  readonly labels: readonly string[];
  readonly matrix: readonly (readonly number[])[];
}

const CONFUSION_FILE = "confusion_matrix.json";

/** The confusion matrix in Comprehend's training output archive. */
export async function readComprehendConfusion(archive: Uint8Array): Promise<ComprehendConfusion> {
  let tar: Buffer;
  try {
    tar = gunzipSync(archive);
  } catch (cause) {
    throw new ModelOutputError("output.tar.gz is not gzip data", { cause });
  }
  const entries = extract();
  let found: Buffer | undefined;
  const done = new Promise<void>((resolve, reject) => {
    entries.on("entry", (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: unknown) => chunks.push(chunk as Buffer));
      stream.on("end", () => {
        if (header.name.split("/").pop() === CONFUSION_FILE) found = Buffer.concat(chunks);
        next();
      });
      stream.resume();
    });
    entries.on("finish", resolve);
    entries.on("error", (error) =>
      reject(new ModelOutputError(`output.tar.gz is not a tar archive: ${error.message}`, { cause: error })),
    );
  });
  Readable.from([tar]).pipe(entries);
  await done;
  if (!found) throw new ModelOutputError(`output.tar.gz holds no ${CONFUSION_FILE}`);
  let parsed: { labels?: unknown; confusion_matrix?: unknown };
  try {
    parsed = JSON.parse(found.toString("utf8"));
  } catch (cause) {
    throw new ModelOutputError(`${CONFUSION_FILE} is not JSON`, { cause });
  }
  const { labels, confusion_matrix: matrix } = parsed;
  const square =
    Array.isArray(labels) &&
    labels.every((l) => typeof l === "string") &&
    Array.isArray(matrix) &&
    matrix.length === labels.length &&
    matrix.every(
      (row) =>
        Array.isArray(row) && row.length === labels.length && row.every((n) => Number.isInteger(n) && n >= 0),
    );
  if (!square)
    throw new ModelOutputError(`${CONFUSION_FILE} is not a square matrix of counts over its labels`);
  return { labels: labels as string[], matrix: matrix as number[][] };
}

/** Comprehend's figures in the baseline's shape, so one page and one JSON layout serve both models. */
export function comprehendEvaluation(confusion: ComprehendConfusion, classifierArn: string): Evaluation {
  const metrics: Metrics = metricsFromMatrix(confusion.labels, confusion.matrix);
  const tested = metrics.labels.reduce((sum, l) => sum + l.support, 0);
  return {
    documents: tested,
    labels: confusion.labels,
    split: {
      method: "holdout",
      seed: 0,
      trainDocuments: 0,
      testDocuments: tested,
      why: "the documents Comprehend held back from training to test its model",
    },
    model: {
      kind: "Amazon Comprehend custom classifier",
      settings: { classifier_arn: classifierArn },
      epochs: [],
    },
    metrics,
    mostConfused: metrics.mostConfused.map((pair) => ({ ...pair, examples: [] })),
    timing_ms: { features: 0, training: 0, total: 0 },
  };
}

export interface ModelComparison {
  readonly comprehend_macro_f1: number;
  readonly comprehend_accuracy: number;
  /** The ETL's local baseline on the same run, when it ran. */
  readonly baseline_macro_f1: number | null;
  readonly page_uri: string;
}
