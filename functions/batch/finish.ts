/**
 * A batch job's output landed (`batch_output/<batch>/output/<account>-CLN-<job>/output/output.tar.gz`): join
 * Comprehend's predictions back to the ticket ids, write the results CSV, and email the summary (tickets per
 * label, how many need review, the job's time and cost, where the CSV is).
 */

import type { Logger } from "@aws-lambda-powertools/logger";
import { type ComprehendClient, DescribeDocumentClassificationJobCommand } from "@aws-sdk/client-comprehend";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { SNSClient } from "@aws-sdk/client-sns";
import { stringify } from "csv-stringify/sync";
import { RESULT_COLUMNS } from "../../contract/batch";
import { batchIdOfKey, batchLayout } from "../../contract/data-layout";
import { batchCostUsd, durationMs, formatBatchCost, formatDuration } from "../pipeline-shared/pricing";
import { readRoutingThresholds, routingKeyOf, thresholdFor } from "../pipeline-shared/routing-thresholds";
import { markAfterPublish, publishEvent } from "../shared/events";
import { labelsByDocumentCount } from "../shared/labels";
import { objectExists, readText } from "../shared/objects";
import { joinPredictions, readPredictions } from "./results";
import { batchReviewItems, enqueueAll } from "./review-items";
import { finishScoring, type ScoringConfig } from "./scoring";
import { parseBatchIds } from "./start";

export interface FinishDeps {
  readonly s3: S3Client;
  readonly sns: SNSClient;
  readonly comprehend: ComprehendClient;
  readonly logger: Logger;
  readonly topicArn: string;
  readonly outputPrefix: string;
  readonly reviewThreshold: number;
  /** Low-score tickets join the review queue (review_queue_enabled). */
  readonly reviewQueue: boolean;
  readonly now?: () => Date;
  /** Scoring jobs (a `scoring.json` beside their documents) become thresholds and comparisons instead. */
  readonly scoring?: ScoringConfig;
}

export async function finishBatch(
  bucket: string,
  key: string,
  deps: FinishDeps,
): Promise<
  | { batch_id: string; status: "finished" | "duplicate"; missing?: number }
  | { status: "ignored"; reason: string }
> {
  const batchId = batchIdOfKey(deps.outputPrefix, key);
  if (!batchId || !key.endsWith("/output/output.tar.gz")) {
    return { status: "ignored", reason: `s3://${bucket}/${key} is not a batch job's output` };
  }
  const layout = batchLayout({ batchOutput: deps.outputPrefix }, batchId);
  // The "finished" marker is written after the email: a retry after any failure before it emails once more
  // rather than never (the results CSV is rewritten with the same rows).
  if (await objectExists(deps.s3, bucket, layout.finished)) return { batch_id: batchId, status: "duplicate" };
  const archive = await deps.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const predictions = await readPredictions((await archive.Body?.transformToByteArray()) ?? new Uint8Array());
  if (deps.scoring && (await objectExists(deps.s3, bucket, layout.scoring))) {
    const outcome = await finishScoring(bucket, batchId, predictions, { ...deps, config: deps.scoring });
    return { batch_id: batchId, status: outcome.status === "duplicate" ? "duplicate" : "finished" };
  }
  const ids = parseBatchIds(await readText(deps.s3, bucket, layout.ids));
  const job = JSON.parse(await readText(deps.s3, bucket, layout.job)) as {
    job_id: string;
    classifier_arn: string;
  };
  const documents = (await readText(deps.s3, bucket, layout.documents)).split("\n").filter((d) => d !== "");
  // The model's own per-label thresholds when it was scored (auto_route_precision), else batch_review_threshold.
  const routingKey =
    deps.scoring && routingKeyOf(deps.scoring.reportsPrefix, deps.scoring.namePrefix, job.classifier_arn);
  const thresholds = routingKey ? await readRoutingThresholds(deps.s3, bucket, routingKey) : undefined;
  const rule = (label: string) => thresholdFor(label, thresholds, deps.reviewThreshold);
  const { rows, missing, failed } = joinPredictions(ids.tickets, ids.documents, predictions, rule);
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: layout.results,
      Body: stringify([
        [...RESULT_COLUMNS],
        ...rows.map((row) => RESULT_COLUMNS.map((column) => row[column])),
      ]),
      ContentType: "text/csv",
    }),
  );
  // Before the email, so that its count is what the queue holds; a retry writes the same keys again.
  const queued = deps.reviewQueue
    ? batchReviewItems(batchId, documents, predictions, rule, (deps.now ?? (() => new Date()))())
    : [];
  await enqueueAll(deps.s3, bucket, queued);
  const { DocumentClassificationJobProperties: props } = await deps.comprehend.send(
    new DescribeDocumentClassificationJobCommand({ JobId: job.job_id }),
  );
  const ms = durationMs(props?.SubmitTime, props?.EndTime);
  const perLabel: Record<string, number> = {};
  const reasons: Record<string, number> = {};
  for (const row of rows) {
    if (row.predicted_label) perLabel[row.predicted_label] = (perLabel[row.predicted_label] ?? 0) + 1;
    if (row.needs_review === "true") {
      const reason = row.review_reason.startsWith("Comprehend could not")
        ? "Comprehend's error"
        : row.review_reason;
      reasons[reason] = (reasons[reason] ?? 0) + 1;
    }
  }
  const review = rows.filter((row) => row.needs_review === "true").length;
  const cost = batchCostUsd(documents.map((d) => d.length));
  await publishEvent(deps.sns, deps.topicArn, {
    eventType: "batch_finished",
    subject: `Backlog classified: ${rows.length} tickets, ${review} to review`,
    text: [
      `The backlog of batch ${batchId} is classified (job ${job.job_id}, classifier ${job.classifier_arn}).`,
      "",
      "Tickets per label:",
      ...labelsByDocumentCount(perLabel).map(([label, n]) => `  ${label}: ${n}`),
      "",
      `Need review: ${review}${
        review > 0
          ? ` (${labelsByDocumentCount(reasons)
              .map(
                ([reason, n]) =>
                  `${reason === "low score" ? (thresholds ? `below the label's threshold at ${(thresholds.target_precision * 100).toFixed(0)}% precision` : `top score below ${deps.reviewThreshold}`) : reason}: ${n}`,
              )
              .join("; ")})`
          : ""
      }`,
      ...(queued.length > 0
        ? [
            `Queued for review: ${queued.length} low-score tickets, beside the API's; answer them with npm run review (each answer becomes a correction for the next training set).`,
          ]
        : []),
      ...(predictions.unreadable.length > 0
        ? [
            `Unreadable lines in Comprehend's output: ${predictions.unreadable.length} (their tickets are flagged "no prediction").`,
          ]
        : []),
      `Job time: ${ms === undefined ? "not reported" : formatDuration(ms)}; cost: ${formatBatchCost(cost)}`,
      `Results: s3://${bucket}/${layout.results}`,
      `Download: aws s3 cp s3://${bucket}/${layout.results} .`,
    ].join("\n"),
    detail: {
      batch_id: batchId,
      job_id: job.job_id,
      tickets: rows.length,
      needs_review: review,
      review_reasons: reasons,
      queued_for_review: queued.length,
      missing: missing.length,
      failed: failed.length,
      unreadable_output_lines: predictions.unreadable.length,
      per_label: perLabel,
      cost_usd: cost,
      results_uri: `s3://${bucket}/${layout.results}`,
    },
  });
  await markAfterPublish(() =>
    deps.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: layout.finished,
        Body: JSON.stringify({ batch_id: batchId, tickets: rows.length, needs_review: review }),
        ContentType: "application/json",
      }),
    ),
  );
  deps.logger.info("Batch finished", { batch_id: batchId, tickets: rows.length, needs_review: review });
  return { batch_id: batchId, status: "finished", missing: missing.length };
}
