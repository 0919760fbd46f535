/**
 * Comprehend writes no output for a failed or stopped classification job, so nothing lands in S3 to report it:
 * the scheduled check lists this app's failed and stopped jobs and emails each once, with Comprehend's message.
 */

import type { Logger } from "@aws-lambda-powertools/logger";
import {
  type ComprehendClient,
  type DocumentClassificationJobProperties,
  type JobStatus,
  paginateListDocumentClassificationJobs,
} from "@aws-sdk/client-comprehend";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { SNSClient } from "@aws-sdk/client-sns";
import { batchIdOfKey, batchLayout } from "../../contract/data-layout";
import { batchJobName } from "../pipeline-shared/naming";
import { markAfterPublish, publishEvent } from "../shared/events";
import { objectExists } from "../shared/objects";
import { parseS3Uri } from "../shared/s3";

export interface CheckDeps {
  readonly s3: S3Client;
  readonly sns: SNSClient;
  readonly comprehend: ComprehendClient;
  readonly logger: Logger;
  readonly topicArn: string;
  readonly namePrefix: string;
  readonly bucket: string;
  readonly outputPrefix: string;
}

export type CheckOutcome = {
  readonly batch_id: string;
  readonly job_id: string;
  readonly status: "reported" | "already_reported";
};

const ENDED_BADLY: readonly JobStatus[] = ["FAILED", "STOPPED"];

/** The batch a job belongs to, when it is one of ours: named by this app and reading this app's bucket. */
export function batchOfJob(
  job: DocumentClassificationJobProperties,
  app: { namePrefix: string; bucket: string; outputPrefix: string },
): string | undefined {
  // A deployment whose prefix extends ours (`itsr-dev` beside `itsr`) names its jobs alike but reads its own bucket.
  const input = parseS3Uri(job.InputDataConfig?.S3Uri ?? "");
  if (!input || input.bucket !== app.bucket) return undefined;
  const batchId = batchIdOfKey(app.outputPrefix, input.key);
  return batchId && job.JobName === batchJobName(app.namePrefix, batchId) ? batchId : undefined;
}

export function failureText(job: DocumentClassificationJobProperties, batchId: string): string {
  return [
    `The classification job ${job.JobId} of batch ${batchId} ended ${job.JobStatus}; no results were written.`,
    `Comprehend's message: ${job.Message ?? "(none)"}`,
    ...(job.JobStatus === "STOPPED"
      ? [
          "Someone stopped the job (aws comprehend stop-document-classification-job); nothing was billed past that.",
        ]
      : []),
    "",
    `The tickets it was given are still in ${job.InputDataConfig?.S3Uri}.`,
    "The upload under batch_input/ is untouched: to try again, upload the export again under a new name.",
  ].join("\n");
}

export async function checkBatchJobs(deps: CheckDeps): Promise<CheckOutcome[]> {
  const outcomes: CheckOutcome[] = [];
  for (const status of ENDED_BADLY) {
    const pages = paginateListDocumentClassificationJobs(
      { client: deps.comprehend },
      { Filter: { JobStatus: status } },
    );
    for await (const page of pages) {
      for (const job of page.DocumentClassificationJobPropertiesList ?? []) {
        const batchId = batchOfJob(job, deps);
        if (!batchId || !job.JobId) continue;
        const marker = batchLayout({ batchOutput: deps.outputPrefix }, batchId).failureReported;
        if (await objectExists(deps.s3, deps.bucket, marker)) {
          outcomes.push({ batch_id: batchId, job_id: job.JobId, status: "already_reported" });
          continue;
        }
        await publishEvent(deps.sns, deps.topicArn, {
          eventType: "batch_failed",
          subject: `Backlog classification ${status === "FAILED" ? "failed" : "stopped"}: batch ${batchId}`,
          text: failureText(job, batchId),
          detail: { batch_id: batchId, job_id: job.JobId, status, message: job.Message ?? null },
        });
        await markAfterPublish(() =>
          deps.s3.send(
            new PutObjectCommand({
              Bucket: deps.bucket,
              Key: marker,
              Body: JSON.stringify({
                batch_id: batchId,
                job_id: job.JobId,
                status,
                message: job.Message ?? null,
              }),
              ContentType: "application/json",
            }),
          ),
        );
        deps.logger.warn("Batch job ended without results", { batch_id: batchId, job_id: job.JobId, status });
        outcomes.push({ batch_id: batchId, job_id: job.JobId, status: "reported" });
      }
    }
  }
  deps.logger.info("Scheduled batch job check done", {
    reported: outcomes.filter((o) => o.status === "reported").length,
  });
  return outcomes;
}
