import type { DocumentClassifierProperties } from "@aws-sdk/client-comprehend";
import type { PipelineEvent } from "../shared/events";
import { isFailed, isFinished } from "../training-shared/classifiers";
import { parseS3Uri, reportKey } from "../training-shared/naming";
import { costUsd, durationMs, formatDuration, formatUsd } from "../training-shared/pricing";

/** The project's inference stack reads the model from this variable; the command runs from the project root. */
export const DEPLOY_COMMAND = 'npx cdktf deploy inference --var-file="$PWD/terraform.tfvars"';

export function tfvarsLine(arn: string): string {
  return `document_classifier_arn = "${arn}"`;
}

export interface ClassifierFacts {
  readonly runId: string;
  readonly name: string;
  readonly arn: string;
  readonly pricePerHour: number;
  readonly reportsPrefix: string;
  readonly properties: DocumentClassifierProperties;
  /** The app's bucket, when the caller knows it from the event; the classifier's input URI is the fallback. */
  readonly bucket?: string | undefined;
}

/** What every training-outcome event says about the classifier. */
function classifierDetail(facts: ClassifierFacts, p: DocumentClassifierProperties) {
  return {
    run_id: facts.runId,
    classifier_arn: facts.arn,
    classifier_name: facts.name,
    status: p.Status,
    message: p.Message ?? null,
  };
}

function percent(value: number | undefined): string {
  return value === undefined ? "n/a" : `${(value * 100).toFixed(1)}%`;
}

function count(value: number | undefined): string {
  return value === undefined ? "n/a" : value.toLocaleString("en-US");
}

interface TrainingTime {
  readonly training_started_at?: string;
  readonly training_ended_at?: string;
  readonly training_seconds?: number;
  readonly training_cost_usd?: number;
}

function trainingTime(facts: ClassifierFacts): { lines: string[]; detail: TrainingTime } {
  const start = facts.properties.TrainingStartTime;
  const end = facts.properties.TrainingEndTime;
  const ms = durationMs(start, end);
  if (ms === undefined || !start || !end) {
    return { lines: ["Training time: not reported by Comprehend"], detail: {} };
  }
  const cost = costUsd(ms, facts.pricePerHour);
  return {
    lines: [
      `Training time: ${formatDuration(ms)} (${start.toISOString()} to ${end.toISOString()})`,
      `Training cost: about ${formatUsd(cost)} at ${formatUsd(facts.pricePerHour)} per hour`,
    ],
    detail: {
      training_started_at: start.toISOString(),
      training_ended_at: end.toISOString(),
      training_seconds: Math.round(ms / 1000),
      training_cost_usd: cost,
    },
  };
}

export function trainingFinishedEvent(facts: ClassifierFacts): PipelineEvent<Record<string, unknown>> {
  const { properties: p } = facts;
  const metrics = p.ClassifierMetadata?.EvaluationMetrics;
  const meta = p.ClassifierMetadata;
  const time = trainingTime(facts);
  const warning = p.Status === "TRAINED_WITH_WARNING";
  const text = [
    `The document classifier for run ${facts.runId} finished training${warning ? " with a warning" : ""}.`,
    "",
    `Classifier ARN: ${facts.arn}`,
    `Status: ${p.Status}`,
    ...(p.Message ? [`Comprehend's message: ${p.Message}`] : []),
    "",
    `Evaluation on the ${count(meta?.NumberOfTestDocuments)} test documents Comprehend held back:`,
    `  Accuracy:        ${percent(metrics?.Accuracy)}`,
    `  Macro precision: ${percent(metrics?.Precision)}`,
    `  Macro recall:    ${percent(metrics?.Recall)}`,
    `  Macro F1 score:  ${percent(metrics?.F1Score)}`,
    `  Micro F1 score:  ${percent(metrics?.MicroF1Score)}`,
    `Labels: ${count(meta?.NumberOfLabels)}`,
    `Documents: ${count(meta?.NumberOfTrainedDocuments)} used for training, ${count(meta?.NumberOfTestDocuments)} for testing`,
    "",
    ...time.lines,
    "",
    "Next step: deploy the inference stack with this model.",
    "1. Add this line to terraform.tfvars in the project directory:",
    `   ${tfvarsLine(facts.arn)}`,
    "2. From the project directory, run:",
    `   ${DEPLOY_COMMAND}`,
  ].join("\n");
  return {
    eventType: "training_finished",
    subject: `Training finished: ${facts.name} (accuracy ${percent(metrics?.Accuracy)})`,
    text,
    detail: {
      ...classifierDetail(facts, p),
      accuracy: metrics?.Accuracy ?? null,
      macro_precision: metrics?.Precision ?? null,
      macro_recall: metrics?.Recall ?? null,
      macro_f1_score: metrics?.F1Score ?? null,
      micro_f1_score: metrics?.MicroF1Score ?? null,
      number_of_labels: meta?.NumberOfLabels ?? null,
      number_of_trained_documents: meta?.NumberOfTrainedDocuments ?? null,
      number_of_test_documents: meta?.NumberOfTestDocuments ?? null,
      ...time.detail,
      price_per_hour_usd: facts.pricePerHour,
      tfvars_line: tfvarsLine(facts.arn),
      deploy_command: DEPLOY_COMMAND,
    },
  };
}

function reportLocation(facts: ClassifierFacts): string {
  const bucket = facts.bucket ?? parseS3Uri(facts.properties.InputDataConfig?.S3Uri ?? "")?.bucket;
  return bucket
    ? `s3://${bucket}/${reportKey(facts.reportsPrefix, facts.runId)}`
    : `${reportKey(facts.reportsPrefix, facts.runId)} in the app's bucket`;
}

export function trainingFailedEvent(facts: ClassifierFacts): PipelineEvent<Record<string, unknown>> {
  const { properties: p } = facts;
  const time = trainingTime(facts);
  const report = reportLocation(facts);
  const text = [
    `The document classifier for run ${facts.runId} did not finish training: Comprehend reports ${p.Status}.`,
    "",
    `Comprehend's message: ${p.Message ?? "(none)"}`,
    `Run id: ${facts.runId}`,
    `Classifier ARN: ${facts.arn}`,
    ...(time.detail.training_seconds === undefined ? [] : ["", ...time.lines]),
    "",
    "What to do:",
    `1. Read Comprehend's message above and the training data report for this run: ${report}`,
    "   (label counts, dropped rows and warnings from the data preparation).",
    "2. Fix the data, then upload the export again to retry; the upload starts a new run.",
    "   If you upload exactly the same file and it gets the same run id, delete this classifier first:",
    `   aws comprehend delete-document-classifier --document-classifier-arn ${facts.arn}`,
    ...(p.Status === "STOPPED"
      ? ["If someone stopped this training on purpose, there is nothing to do."]
      : []),
  ].join("\n");
  return {
    eventType: "training_failed",
    subject: `Training failed: ${facts.name} (${p.Status})`,
    text,
    detail: {
      ...classifierDetail(facts, p),
      report_uri: report.startsWith("s3://") ? report : null,
      ...time.detail,
      price_per_hour_usd: facts.pricePerHour,
    },
  };
}

/** The email for a classifier in a final state; undefined while it is still in flight or being deleted. */
export function outcomeEvent(facts: ClassifierFacts): PipelineEvent<Record<string, unknown>> | undefined {
  const status = facts.properties.Status;
  if (isFinished(status)) return trainingFinishedEvent(facts);
  if (isFailed(status)) return trainingFailedEvent(facts);
  return undefined;
}
