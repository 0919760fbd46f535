/**
 * A trained model scored on its run's test documents, without an endpoint: on `training_finished` the batch
 * function samples the test file (at most threshold_sample_documents, every label kept), emails the price
 * before anything is billed, and starts one classification job for the new model and, for a new version,
 * one for the model served when it was asked for, on the same documents. When the jobs' outputs land the
 * answers become per-label routing thresholds (reports/<run>/routing.json) and, for a new version, the
 * comparison that ends with the command that promotes it.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { ComprehendClient } from "@aws-sdk/client-comprehend";
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { SNSClient } from "@aws-sdk/client-sns";
import { parse } from "csv-parse/sync";
import { batchLayout, runLayout } from "../../contract/data-layout";
import { type ScoringJob, type ScoringRole, scoringBatchId } from "../../contract/scoring";
import { stratifiedSample } from "../evaluation/routing";
import { describeClassifier, isFinished } from "../pipeline-shared/classifiers";
import { assertRunId } from "../pipeline-shared/naming";
import { batchCostUsd, formatBatchCost } from "../pipeline-shared/pricing";
import { markAfterPublish, type PipelineEvent, publishEvent } from "../shared/events";
import { objectExists, readTextIfPresent } from "../shared/objects";
import type { Predictions } from "./results";
import {
  type Comparison,
  compareModels,
  comparisonLines,
  comparisonPage,
  type ModelScores,
  modelScores,
  routingFile,
  routingLines,
  scoredPredictions,
} from "./scoring-report";
import { type JobConfig, startJob } from "./start";

export interface ScoringConfig extends JobConfig {
  readonly topicArn: string;
  readonly bucket: string;
  readonly preppedPrefix: string;
  readonly reportsPrefix: string;
  readonly targetPrecision: number;
  readonly sampleDocuments: number;
}

export interface ScoringDeps {
  readonly s3: S3Client;
  readonly sns: SNSClient;
  readonly comprehend: ComprehendClient;
  readonly logger: Logger;
  readonly config: ScoringConfig;
}

async function putJson(s3: S3Client, bucket: string, key: string, value: unknown): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: JSON.stringify(value, null, 2),
      ContentType: "application/json",
    }),
  );
}

const layoutOf = (config: ScoringConfig, runId: string) =>
  runLayout({ prepped: config.preppedPrefix, reports: config.reportsPrefix, output: "" }, runId);

export type ScoringStartOutcome =
  | { readonly status: "ignored"; readonly reason: string }
  | {
      readonly status: "started";
      readonly run_id: string;
      readonly documents: number;
      readonly models: number;
    };

/** `training_finished` -> the sample, the price email, and the jobs (each started at most once). */
export async function startScoring(
  detail: Record<string, unknown>,
  deps: ScoringDeps,
): Promise<ScoringStartOutcome> {
  const { config, s3, logger } = deps;
  if (!isFinished(typeof detail.status === "string" ? detail.status : undefined)) {
    return { status: "ignored", reason: `status ${String(detail.status)}: no model to score` };
  }
  const runId = assertRunId(detail.run_id);
  const classifierArn = String(detail.classifier_arn);
  const layout = layoutOf(config, runId);
  const testCsv = await readTextIfPresent(s3, config.bucket, layout.testDataKey);
  if (testCsv === undefined) {
    logger.warn("The run has no test set (trained before test sets): no thresholds", { run_id: runId });
    return { status: "ignored", reason: `run ${runId} has no test set` };
  }
  const report = JSON.parse((await readTextIfPresent(s3, config.bucket, layout.reportKey)) ?? "{}") as {
    retraining?: { served_classifier_arn?: string; moved_from_training?: number };
  };
  // The served version is compared only while it can still be scored (not deleted since it was asked for).
  const asked = report.retraining?.served_classifier_arn;
  const servedState = asked ? await describeClassifier(deps.comprehend, asked) : undefined;
  const served = asked && isFinished(servedState?.Status) ? asked : undefined;
  const unscorable = asked && !served ? asked : undefined;
  const records = (parse(testCsv) as [string, string][]).map(([label, text]) => ({ label, text }));
  const sample = stratifiedSample(records, config.sampleDocuments);
  const models: [ScoringRole, string][] = [
    ["new", classifierArn],
    ...(served ? [["served", served] as [ScoringRole, string]] : []),
  ];
  const perModel = batchCostUsd(sample.map((d) => d.text.length));
  const characters = sample.reduce((sum, d) => sum + d.text.length, 0);

  const started = await Promise.all(
    models.map(([role]) =>
      objectExists(
        s3,
        config.bucket,
        batchLayout({ batchOutput: config.outputPrefix }, scoringBatchId(runId, role)).job,
      ),
    ),
  );
  if (started.every(Boolean)) return { status: "ignored", reason: `run ${runId} is already being scored` };

  // The price is told before anything is billed.
  await publishEvent(deps.sns, config.topicArn, {
    eventType: "scoring_started",
    subject: `Scoring ${served ? "both versions" : "the new model"} on ${sample.length} test documents: ${formatBatchCost(perModel * models.length)}`,
    text: [
      `The model of run ${runId} is scored on ${sample.length} of its ${records.length} test documents (every label kept; at most threshold_sample_documents)` +
        (served ? `, and so is the served model ${served}, on the same documents, to compare them.` : "."),
      ...(unscorable
        ? [
            `The served model ${unscorable} it was built on cannot be scored any more (deleted, or not trained): no comparison this time.`,
          ]
        : []),
      `${characters.toLocaleString("en-US")} characters per model; asynchronous classification is billed per character (at least 300 per document):`,
      `about ${formatBatchCost(perModel)} per model, ${formatBatchCost(perModel * models.length)} in all. No endpoint is needed.`,
      "",
      `From the answers come the per-label score thresholds at ${(config.targetPrecision * 100).toFixed(0)}% precision (auto_route_precision):`,
      "tickets route themselves from there, the rest are queued for a person. " +
        (served
          ? "The next email compares both versions and names the command that promotes the new one, or says why not."
          : "The next email lists them and how many tickets they let through."),
    ].join("\n"),
    detail: {
      run_id: runId,
      classifier_arn: classifierArn,
      ...(served ? { served_classifier_arn: served } : {}),
      sample_documents: sample.length,
      test_documents: records.length,
      characters_per_model: characters,
      cost_usd: perModel * models.length,
    },
  });

  for (const [i, [role, arn]] of models.entries()) {
    if (started[i]) continue;
    const batchId = scoringBatchId(runId, role);
    const batch = batchLayout({ batchOutput: config.outputPrefix }, batchId);
    const job: ScoringJob = {
      run_id: runId,
      role,
      classifier_arn: arn,
      labels: sample.map((d) => d.label),
      target_precision: config.targetPrecision,
      ...(served ? { compare_with: role === "new" ? "served" : "new" } : {}),
      ...(served && report.retraining?.moved_from_training
        ? { served_trained_on: report.retraining.moved_from_training }
        : {}),
    };
    await s3.send(
      new PutObjectCommand({
        Bucket: config.bucket,
        Key: batch.documents,
        Body: sample.map((d) => `${d.text}\n`).join(""),
        ContentType: "text/plain; charset=utf-8",
      }),
    );
    await putJson(s3, config.bucket, batch.scoring, job);
    const output = await startJob(deps.comprehend, config, config.bucket, batchId, arn);
    await markAfterPublish(() =>
      putJson(s3, config.bucket, batch.job, {
        batch_id: batchId,
        job_id: output.JobId,
        job_arn: output.JobArn,
        classifier_arn: arn,
      }),
    );
    logger.info("Scoring job started", { run_id: runId, role, job_id: output.JobId });
  }
  return { status: "started", run_id: runId, documents: sample.length, models: models.length };
}

export type ScoringFinishOutcome =
  | { readonly status: "waiting"; readonly run_id: string; readonly role: ScoringRole }
  | { readonly status: "scored" | "duplicate"; readonly run_id: string };

/** A scoring job's output -> its figures; once every model of the run is scored, the thresholds and the email. */
export async function finishScoring(
  bucket: string,
  batchId: string,
  predictions: Predictions,
  deps: Omit<ScoringDeps, "comprehend">,
): Promise<ScoringFinishOutcome> {
  const { config, s3 } = deps;
  const batch = batchLayout({ batchOutput: config.outputPrefix }, batchId);
  const job = JSON.parse((await readTextIfPresent(s3, bucket, batch.scoring)) ?? "{}") as ScoringJob;
  const layout = layoutOf(config, job.run_id);
  const { predictions: scored, unanswered } = scoredPredictions(job.labels, predictions.byLine);
  const scores = modelScores(job.classifier_arn, scored, unanswered, job.target_precision);
  await putJson(s3, bucket, layout.scoring.scores(job.role), scores);

  const read = async (role: ScoringRole) => {
    if (role === job.role) return scores;
    const text = await readTextIfPresent(s3, bucket, layout.scoring.scores(role));
    return text === undefined ? undefined : (JSON.parse(text) as ModelScores);
  };
  const next = await read("new");
  const served = job.compare_with ? await read("served") : undefined;
  if (!next || (job.compare_with && !served))
    return { status: "waiting", run_id: job.run_id, role: job.role };

  await putJson(s3, bucket, layout.scoring.routing, routingFile(next));
  const comparison = served ? compareModels(next, served) : undefined;
  if (comparison) {
    await putJson(s3, bucket, layout.scoring.comparison, comparison);
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: layout.scoring.comparisonHtml,
        Body: comparisonPage(job.run_id, comparison),
        ContentType: "text/html; charset=utf-8",
      }),
    );
  }
  // Both jobs can finish at once and both find the other's figures: the conditional write lets one email.
  try {
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: layout.scoring.emailed, Body: "{}", IfNoneMatch: "*" }),
    );
  } catch (error) {
    // 412: the other job's finish wrote it; 409: it is writing it right now (S3's conditional writes).
    if (["PreconditionFailed", "ConditionalRequestConflict"].includes((error as Error).name))
      return { status: "duplicate", run_id: job.run_id };
    throw error;
  }
  try {
    await publishEvent(
      deps.sns,
      config.topicArn,
      scoredEvent(bucket, job.run_id, next, comparison, layout.scoring.comparisonHtml, job.served_trained_on),
    );
  } catch (error) {
    // The marker would turn Lambda's retry into a "duplicate" and lose the email: take it back first.
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: layout.scoring.emailed }));
    throw error;
  }
  deps.logger.info("Model scored", {
    run_id: job.run_id,
    coverage: next.routing.coverage,
    compared: !!comparison,
  });
  return { status: "scored", run_id: job.run_id };
}

/** The email that ends the scoring: the thresholds, or both versions side by side. Exported for the operator tests. */
export function scoredEvent(
  bucket: string,
  runId: string,
  next: ModelScores,
  comparison: Comparison | undefined,
  pageKey: string,
  servedTrainedOn = 0,
): PipelineEvent<Record<string, unknown>> {
  const unanswered =
    next.unanswered > 0 ? [`(${next.unanswered} documents got no answer and are left out.)`] : [];
  if (comparison) {
    return {
      eventType: "model_compared" as const,
      subject: `${comparison.better ? "New version is better" : "New version is not better"}: macro-F1 ${(comparison.new.macro_f1 * 100).toFixed(1)}% vs ${(comparison.served.macro_f1 * 100).toFixed(1)}% served`,
      text: [
        `The new version of run ${runId} and the served model, scored on the same test documents.`,
        "",
        ...comparisonLines(comparison),
        ...unanswered,
        ...(servedTrainedOn > 0
          ? [
              `(Up to ${servedTrainedOn} of the test documents were moved in from the served model's training data, for labels that had none: the served model has seen them, which favours it.)`,
            ]
          : []),
        "",
        ...routingLines(next.routing),
        "",
        `Side by side per label: s3://${bucket}/${pageKey} (beside the baseline's page; download it with aws s3 cp and open it in a browser).`,
        "",
        ...(comparison.promote_command
          ? [
              "To promote it (Terraform moves the endpoint to it in place; the served version stays for rollback), run:",
              `   ${comparison.promote_command}`,
            ]
          : ["Nothing to do: the served version keeps serving."]),
      ].join("\n"),
      detail: { run_id: runId, comparison, comparison_page_uri: `s3://${bucket}/${pageKey}` },
    };
  }
  return {
    eventType: "model_scored" as const,
    subject: `Routing thresholds ready: ${(next.routing.coverage * 100).toFixed(1)}% of tickets route themselves at ${(next.routing.target_precision * 100).toFixed(0)}% precision`,
    text: [
      `The model of run ${runId} (${next.classifier_arn}) scored on ${next.documents} of its test documents: accuracy ${(next.accuracy * 100).toFixed(1)}%, macro-F1 ${(next.macro_f1 * 100).toFixed(1)}%.`,
      ...unanswered,
      "",
      ...routingLines(next.routing),
      "",
      "Once this model is served, the API's decision (?decision=true) and the batch results route by these thresholds;",
      "answers below them go to the review queue (npm run review). npm run status shows them too.",
    ].join("\n"),
    detail: { run_id: runId, routing: routingFile(next) },
  };
}
