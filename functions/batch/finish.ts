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
import {
  BATCH_PRICE_PER_UNIT,
  batchCostUsd,
  durationMs,
  formatDuration,
  formatUsd,
} from "../pipeline-shared/pricing";
import { publishEvent } from "../shared/events";
import { labelsByDocumentCount } from "../shared/labels";
import { objectExists } from "../shared/objects";
import { joinPredictions, readPredictions } from "./results";

export interface FinishDeps {
  readonly s3: S3Client;
  readonly sns: SNSClient;
  readonly comprehend: ComprehendClient;
  readonly logger: Logger;
  readonly topicArn: string;
  readonly outputPrefix: string;
  readonly reviewThreshold: number;
}

async function readText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await object.Body?.transformToString("utf8")) ?? "";
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
  if (await objectExists(deps.s3, bucket, layout.results)) return { batch_id: batchId, status: "duplicate" };
  const ids = JSON.parse(await readText(deps.s3, bucket, layout.ids)) as string[];
  const job = JSON.parse(await readText(deps.s3, bucket, layout.job)) as {
    job_id: string;
    classifier_arn: string;
  };
  const documents = (await readText(deps.s3, bucket, layout.documents)).split("\n");
  const archive = await deps.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const predictions = await readPredictions((await archive.Body?.transformToByteArray()) ?? new Uint8Array());
  const { rows, missing } = joinPredictions(ids, predictions, deps.reviewThreshold);
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
  const { DocumentClassificationJobProperties: props } = await deps.comprehend.send(
    new DescribeDocumentClassificationJobCommand({ JobId: job.job_id }),
  );
  const ms = durationMs(props?.SubmitTime, props?.EndTime);
  const perLabel: Record<string, number> = {};
  for (const row of rows)
    if (row.predicted_label) perLabel[row.predicted_label] = (perLabel[row.predicted_label] ?? 0) + 1;
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
      `Need review (top score below ${deps.reviewThreshold}): ${review}${missing.length > 0 ? `, of which ${missing.length} got no prediction` : ""}`,
      `Job time: ${ms === undefined ? "not reported" : formatDuration(ms)}; cost: ${cost < 0.01 ? "less than $0.01" : `about ${formatUsd(cost)}`} at $${BATCH_PRICE_PER_UNIT} per 100 characters (at least 300 per ticket)`,
      `Results: s3://${bucket}/${layout.results}`,
    ].join("\n"),
    detail: {
      batch_id: batchId,
      job_id: job.job_id,
      tickets: rows.length,
      needs_review: review,
      missing: missing.length,
      per_label: perLabel,
      cost_usd: cost,
      results_uri: `s3://${bucket}/${layout.results}`,
    },
  });
  deps.logger.info("Batch finished", { batch_id: batchId, tickets: rows.length, needs_review: review });
  return { batch_id: batchId, status: "finished", missing: missing.length };
}
