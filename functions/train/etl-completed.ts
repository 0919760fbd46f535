import { runLayout } from "../../contract/data-layout";
import { assertRunId, NamingError, runIdFromClassifierName } from "../pipeline-shared/naming";
import type { TrainConfig } from "./config";

/** Raised when an `etl_completed` message cannot start training; the message names what is wrong. */
export class EtlMessageError extends Error {
  override readonly name = "EtlMessageError";
}

/** The part of the ETL's `etl_completed` detail this function relies on. */
export interface EtlCompleted {
  readonly run_id: string;
  readonly training_data_uri: string;
  /** The run's fixed test set (InputDataConfig.TestS3Uri); absent: Comprehend holds out 10% by itself. */
  readonly test_data_uri?: string | undefined;
  readonly report_uri?: string | undefined;
  /** A retraining run: the served classifier's name, which the new model joins as a version. */
  readonly version_of?: string | undefined;
  readonly label_counts: Readonly<Record<string, number>>;
  readonly label_count: number;
  readonly document_count: number;
  readonly source?: Readonly<Record<string, unknown>> | undefined;
}

function positiveCount(message: Record<string, unknown>, field: string): number {
  const value = message[field];
  if (typeof value !== "number" || !Number.isInteger(value) || value <= 0) {
    throw new EtlMessageError(`${field} must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

function labelCounts(value: unknown): Record<string, number> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new EtlMessageError(
      `label_counts must be an object of label -> document count, got ${JSON.stringify(value)}`,
    );
  }
  const entries = Object.entries(value);
  const bad = entries
    .filter(([, n]) => typeof n !== "number" || !Number.isInteger(n) || n < 0)
    .map(([k]) => k);
  if (bad.length > 0) throw new EtlMessageError(`label_counts has non-integer counts for: ${bad.join(", ")}`);
  return Object.fromEntries(entries) as Record<string, number>;
}

/** The only input location a run may train from: its own prefix in the app's bucket. */
function layoutOf(config: TrainConfig, runId: string) {
  return runLayout({ prepped: config.preppedPrefix, reports: "", output: config.outputPrefix }, runId);
}

export function expectedTrainingDataUri(config: TrainConfig, runId: string): string {
  return `s3://${config.bucketName}/${layoutOf(config, runId).trainingDataPrefix}`;
}

export function expectedTestDataUri(config: TrainConfig, runId: string): string {
  return `s3://${config.bucketName}/${layoutOf(config, runId).testDataKey}`;
}

export function outputDataUri(config: TrainConfig, runId: string): string {
  return `s3://${config.bucketName}/${layoutOf(config, runId).outputPrefix}`;
}

/**
 * Checks an `etl_completed` detail. Training data elsewhere than the run's own prefix is refused: the data
 * access role can read only that prefix, and a message pointing elsewhere did not come from this app's ETL.
 */
export function parseEtlCompleted(message: Record<string, unknown>, config: TrainConfig): EtlCompleted {
  let runId: string;
  try {
    runId = assertRunId(message.run_id);
  } catch (cause) {
    if (cause instanceof NamingError) throw new EtlMessageError(cause.message, { cause });
    throw cause;
  }
  const uri = message.training_data_uri;
  const expected = expectedTrainingDataUri(config, runId);
  if (typeof uri !== "string" || (uri !== expected && `${uri}/` !== expected)) {
    throw new EtlMessageError(
      `training_data_uri must be ${expected} for run ${runId}, got ${JSON.stringify(uri)}`,
    );
  }
  const test = message.test_data_uri;
  const expectedTest = expectedTestDataUri(config, runId);
  if (test !== undefined && test !== expectedTest) {
    throw new EtlMessageError(
      `test_data_uri must be ${expectedTest} for run ${runId}, got ${JSON.stringify(test)}`,
    );
  }
  const versionOf = message.version_of;
  if (
    versionOf !== undefined &&
    (typeof versionOf !== "string" || runIdFromClassifierName(config.namePrefix, versionOf) === undefined)
  ) {
    throw new EtlMessageError(
      `version_of must name one of this app's classifiers (${config.namePrefix}--<run>), got ${JSON.stringify(versionOf)}`,
    );
  }
  const report = message.report_uri;
  const source = message.source;
  return {
    run_id: runId,
    training_data_uri: expected,
    ...(test !== undefined && { test_data_uri: expectedTest }),
    report_uri: typeof report === "string" ? report : undefined,
    ...(versionOf !== undefined && { version_of: versionOf as string }),
    label_counts: labelCounts(message.label_counts),
    label_count: positiveCount(message, "label_count"),
    document_count: positiveCount(message, "document_count"),
    source: typeof source === "object" && source !== null ? (source as Record<string, unknown>) : undefined,
  };
}
