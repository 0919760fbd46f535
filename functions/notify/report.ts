import type { DocumentClassifierProperties } from "@aws-sdk/client-comprehend";
import { runLayout } from "../../contract/data-layout";
import { deployCommand } from "../../contract/retraining";
import { isFailed, isFinished } from "../pipeline-shared/classifiers";
import {
  costUsd,
  durationMs,
  ENDPOINT_PRICE_PER_INFERENCE_UNIT_HOUR,
  formatDuration,
  formatUsd,
} from "../pipeline-shared/pricing";
import type { PipelineEvent } from "../shared/events";
import { parseS3Uri } from "../shared/s3";
import type { ModelComparison } from "./model-report";

export { deployCommand };

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
  /** Comprehend's figures from its own confusion matrix beside the ETL's baseline. */
  readonly comparison?: ModelComparison | undefined;
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

function formatCount(value: number | undefined): string {
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

function comparisonLines(comparison: ModelComparison | undefined): string[] {
  if (!comparison) return [];
  const baseline =
    comparison.baseline_macro_f1 === null
      ? "no baseline ran for this run"
      : `the local baseline's before training: ${percent(comparison.baseline_macro_f1)}`;
  return [
    `Comprehend's macro-F1 on its test documents: ${percent(comparison.comprehend_macro_f1)}; ${baseline}.`,
    `Both models side by side (per-label table, confusion matrix): ${comparison.page_uri}`,
  ];
}

/** A retraining's model: a version whose run is not the one its classifier is named after. */
function isVersion(facts: ClassifierFacts): boolean {
  return !facts.name.endsWith(`--${facts.runId}`);
}

export function trainingFinishedEvent(facts: ClassifierFacts): PipelineEvent<Record<string, unknown>> {
  const { properties: p } = facts;
  const metrics = p.ClassifierMetadata?.EvaluationMetrics;
  const meta = p.ClassifierMetadata;
  const time = trainingTime(facts);
  const warning = p.Status === "TRAINED_WITH_WARNING";
  const outputUri = p.OutputDataConfig?.S3Uri;
  const text = [
    `The document classifier for run ${facts.runId} finished training${warning ? " with a warning" : ""}.`,
    "",
    `Classifier ARN: ${facts.arn}`,
    `Status: ${p.Status}`,
    ...(p.Message ? [`Comprehend's message: ${p.Message}`] : []),
    "",
    `Evaluation on the ${formatCount(meta?.NumberOfTestDocuments)} test documents Comprehend held back:`,
    `  Accuracy:        ${percent(metrics?.Accuracy)}`,
    `  Macro precision: ${percent(metrics?.Precision)}`,
    `  Macro recall:    ${percent(metrics?.Recall)}`,
    `  Macro F1 score:  ${percent(metrics?.F1Score)}`,
    `  Micro F1 score:  ${percent(metrics?.MicroF1Score)}`,
    `Labels: ${formatCount(meta?.NumberOfLabels)}`,
    `Documents: ${formatCount(meta?.NumberOfTrainedDocuments)} used for training, ${formatCount(meta?.NumberOfTestDocuments)} for testing`,
    "",
    ...time.lines,
    ...(outputUri ? [`Comprehend's training output (confusion matrix, metrics): ${outputUri}`] : []),
    ...comparisonLines(facts.comparison),
    "",
    ...(isVersion(facts)
      ? [
          `This is a new version of ${facts.name}, trained on the corrections: it is scored beside the served version on the`,
          "same test documents next, and that email ends with the command that promotes it if it is better.",
          "",
        ]
      : []),
    isVersion(facts)
      ? "To serve it without waiting for the comparison:"
      : "Next step: serve this model with the inference stack.",
    `The endpoint costs ${formatUsd(ENDPOINT_PRICE_PER_INFERENCE_UNIT_HOUR)} per inference unit per hour (about ${formatUsd(ENDPOINT_PRICE_PER_INFERENCE_UNIT_HOUR * 24 * 30)} a month for one unit, us-east-1 list price) for as long as it exists, called or not.`,
    "From the project directory, run:",
    `   ${deployCommand(facts.arn)}`,
    "This sets document_classifier_arn in terraform.tfvars and creates the endpoint, or moves a running endpoint",
    "to this model in place (no second endpoint, no downtime). The previous model stays for rollback.",
    `To set the variable by hand instead, put this line in terraform.tfvars: ${tfvarsLine(facts.arn)}`,
    "Stop the endpoint's charges when you no longer need it: npm run destroy -- inference",
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
      endpoint_price_per_inference_unit_hour_usd: ENDPOINT_PRICE_PER_INFERENCE_UNIT_HOUR,
      output_data_uri: outputUri ?? null,
      ...(facts.comparison ? { comparison: facts.comparison } : {}),
      tfvars_line: tfvarsLine(facts.arn),
      deploy_command: deployCommand(facts.arn),
    },
  };
}

function reportLocation(facts: ClassifierFacts): string {
  const report = runLayout({ prepped: "", reports: facts.reportsPrefix, output: "" }, facts.runId).reportKey;
  const bucket = facts.bucket ?? parseS3Uri(facts.properties.InputDataConfig?.S3Uri ?? "")?.bucket;
  return bucket ? `s3://${bucket}/${report}` : `${report} in the app's bucket`;
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
