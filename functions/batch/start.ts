/**
 * A backlog upload (`batch_input/*.csv`) -> the documents one per line as training prepared them, the line
 * -> ticket id mapping, and an asynchronous classification job (StartDocumentClassificationJob) in the VPC
 * with KMS, with the app's newest trained classifier or the one named. No endpoint is needed.
 */

import type { Logger } from "@aws-lambda-powertools/logger";
import {
  type ComprehendClient,
  type DocumentClassifierProperties,
  StartDocumentClassificationJobCommand,
} from "@aws-sdk/client-comprehend";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { SNSClient } from "@aws-sdk/client-sns";
import { isClassifierArn, parseClassifierArn } from "../../contract/arns";
import { batchLayout } from "../../contract/data-layout";
import { cutPoint } from "../etl/documents";
import { InputError } from "../etl/errors";
import { makeRunId, type SourceObject } from "../etl/source";
import { isFinished, listAllClassifiers } from "../pipeline-shared/classifiers";
import { batchJobName, runIdFromClassifierName, TAG_APP, TAG_BATCH_ID } from "../pipeline-shared/naming";
import { publishEvent } from "../shared/events";
import { objectExists } from "../shared/objects";
import { parseBacklog } from "./tickets";

/** Comprehend reads at most this many UTF-8 bytes of a one-document-per-line document, as ClassifyDocument. */
export const MAX_DOCUMENT_BYTES = 10_000;
/** What one job may hold here: read whole into the function's memory, and far within Comprehend's 5 GB. */
export const MAX_BATCH_UPLOAD_BYTES = 200 * 1024 * 1024;

export interface BatchConfig {
  readonly topicArn: string;
  readonly namePrefix: string;
  readonly outputPrefix: string;
  readonly dataAccessRoleArn: string;
  readonly kmsKeyArn: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  readonly idColumn: string;
  readonly textColumns: readonly string[];
  /** A classifier to use instead of the newest trained one. */
  readonly classifierArn?: string | undefined;
}

export interface BatchDeps {
  readonly s3: S3Client;
  readonly sns: SNSClient;
  readonly comprehend: ComprehendClient;
  readonly logger: Logger;
  readonly config: BatchConfig;
}

export type BatchStartOutcome =
  | {
      readonly batch_id: string;
      readonly status: "started";
      readonly job_id: string;
      readonly tickets: number;
    }
  | { readonly batch_id: string; readonly status: "duplicate" | "rejected"; readonly reason?: string };

/** One line per ticket: cut at a character boundary to what Comprehend reads, never empty. */
export function documentLines(texts: readonly string[]): string {
  return texts
    .map((text) => {
      const bytes = Buffer.from(text === "" ? "(empty)" : text, "utf8");
      return bytes.length <= MAX_DOCUMENT_BYTES
        ? bytes.toString("utf8")
        : bytes.toString("utf8", 0, cutPoint(bytes, MAX_DOCUMENT_BYTES));
    })
    .join("\n");
}

/** The app's newest trained classifier (by training end), the default model of a batch. */
export async function newestTrainedClassifier(
  comprehend: ComprehendClient,
  namePrefix: string,
): Promise<string> {
  let newest: DocumentClassifierProperties | undefined;
  for await (const properties of listAllClassifiers(comprehend)) {
    const parts = parseClassifierArn(properties.DocumentClassifierArn ?? "");
    if (!parts || !runIdFromClassifierName(namePrefix, parts.name) || !isFinished(properties.Status))
      continue;
    if (!newest || (properties.TrainingEndTime?.getTime() ?? 0) > (newest.TrainingEndTime?.getTime() ?? 0))
      newest = properties;
  }
  if (!newest?.DocumentClassifierArn) {
    throw new InputError(
      "this app has no trained classifier yet: train one first, or name one with the object's classifier-arn metadata",
    );
  }
  return newest.DocumentClassifierArn;
}

export async function startBatch(source: SourceObject, deps: BatchDeps): Promise<BatchStartOutcome> {
  const { config, s3, logger } = deps;
  const batchId = makeRunId(source);
  const layout = batchLayout({ batchOutput: config.outputPrefix }, batchId);
  logger.appendKeys({ batch_id: batchId });
  if (
    (await objectExists(s3, source.bucket, layout.job)) ||
    (await objectExists(s3, source.bucket, layout.rejected))
  ) {
    logger.info("Batch already handled by an earlier delivery of this upload");
    return { batch_id: batchId, status: "duplicate" };
  }
  try {
    const object = await s3.send(
      new GetObjectCommand({
        Bucket: source.bucket,
        Key: source.key,
        ...(source.versionId ? { VersionId: source.versionId } : {}),
      }),
    );
    if ((object.ContentLength ?? 0) > MAX_BATCH_UPLOAD_BYTES) {
      throw new InputError(
        `the export is ${object.ContentLength} bytes, over the ${MAX_BATCH_UPLOAD_BYTES} bytes one batch takes here; split it into several uploads`,
      );
    }
    const named = object.Metadata?.["classifier-arn"] ?? config.classifierArn;
    if (named !== undefined && !isClassifierArn(named))
      throw new InputError(`classifier-arn ${named} is not a document classifier ARN`);
    const tickets = parseBacklog((await object.Body?.transformToString("utf8")) ?? "", {
      idColumn: config.idColumn,
      textColumns: config.textColumns,
      settings: { id: "the batch_id_column variable", text: "the csv_text_columns variable" },
    });
    if (tickets.length === 0) throw new InputError("the export has a header but no tickets");
    const classifierArn = named ?? (await newestTrainedClassifier(deps.comprehend, config.namePrefix));
    await s3.send(
      new PutObjectCommand({
        Bucket: source.bucket,
        Key: layout.documents,
        Body: documentLines(tickets.map((t) => t.text)),
        ContentType: "text/plain; charset=utf-8",
      }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: source.bucket,
        Key: layout.ids,
        Body: JSON.stringify(tickets.map((t) => t.id)),
        ContentType: "application/json",
      }),
    );
    const job = await deps.comprehend.send(
      new StartDocumentClassificationJobCommand({
        JobName: batchJobName(config.namePrefix, batchId),
        DocumentClassifierArn: classifierArn,
        InputDataConfig: {
          S3Uri: `s3://${source.bucket}/${layout.documents}`,
          InputFormat: "ONE_DOC_PER_LINE",
        },
        OutputDataConfig: { S3Uri: `s3://${source.bucket}/${layout.output}`, KmsKeyId: config.kmsKeyArn },
        DataAccessRoleArn: config.dataAccessRoleArn,
        VolumeKmsKeyId: config.kmsKeyArn,
        VpcConfig: { SecurityGroupIds: [...config.securityGroupIds], Subnets: [...config.subnetIds] },
        ClientRequestToken: `batch-${batchId}`,
        Tags: [
          { Key: TAG_APP, Value: config.namePrefix },
          { Key: TAG_BATCH_ID, Value: batchId },
        ],
      }),
    );
    const jobId = job.JobId ?? "";
    await s3.send(
      new PutObjectCommand({
        Bucket: source.bucket,
        Key: layout.job,
        Body: JSON.stringify({
          batch_id: batchId,
          job_id: jobId,
          job_arn: job.JobArn,
          classifier_arn: classifierArn,
          tickets: tickets.length,
          source,
        }),
        ContentType: "application/json",
      }),
    );
    await publishEvent(deps.sns, config.topicArn, {
      eventType: "batch_started",
      subject: `Backlog classification started: ${tickets.length} tickets`,
      text: [
        `The backlog s3://${source.bucket}/${source.key} is being classified (batch ${batchId}, job ${jobId}).`,
        `Tickets: ${tickets.length}; classifier: ${classifierArn}.`,
        "No endpoint is needed: the job bills per character. You will get the results when it finishes.",
      ].join("\n"),
      detail: { batch_id: batchId, job_id: jobId, classifier_arn: classifierArn, tickets: tickets.length },
    });
    logger.info("Batch job started", { job_id: jobId, tickets: tickets.length });
    return { batch_id: batchId, status: "started", job_id: jobId, tickets: tickets.length };
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    logger.warn("Backlog rejected", { reason: error.message });
    await publishEvent(deps.sns, config.topicArn, {
      eventType: "batch_failed",
      subject: `Backlog rejected: ${source.key.split("/").pop()}`,
      text: [
        `The backlog s3://${source.bucket}/${source.key} cannot be classified (batch ${batchId}):`,
        "",
        `  ${error.message}`,
        "",
        "No job was started. The upload was left untouched; fix it and upload it again.",
      ].join("\n"),
      detail: { batch_id: batchId, reason: error.message },
    });
    await s3.send(
      new PutObjectCommand({
        Bucket: source.bucket,
        Key: layout.rejected,
        Body: JSON.stringify({ batch_id: batchId, reason: error.message }),
        ContentType: "application/json",
      }),
    );
    return { batch_id: batchId, status: "rejected", reason: error.message };
  }
}
