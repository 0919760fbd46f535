/**
 * A backlog upload (`batch_input/*.csv`) -> the documents one per line as training prepared them, the line
 * -> ticket id mapping, and an asynchronous classification job (StartDocumentClassificationJob) in the VPC
 * with KMS, with the app's newest trained classifier or the one named. No endpoint is needed.
 */

import type { Logger } from "@aws-lambda-powertools/logger";
import {
  type ComprehendClient,
  type DocumentClassificationJobProperties,
  type DocumentClassifierProperties,
  paginateListDocumentClassificationJobs,
  StartDocumentClassificationJobCommand,
} from "@aws-sdk/client-comprehend";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { SNSClient } from "@aws-sdk/client-sns";
import { isClassifierArn, parseClassifierArn } from "../../contract/arns";
import { batchLayout } from "../../contract/data-layout";
import { cutPoint } from "../etl/documents";
import { InputError } from "../etl/errors";
import { makeRunId, type SourceObject } from "../etl/source";
import { conversionWarning, decodeExport } from "../etl/text-encoding";
import {
  describeClassifier,
  isAwsError,
  isFinished,
  listAllClassifiers,
} from "../pipeline-shared/classifiers";
import { batchJobName, runIdFromClassifierName, TAG_APP, TAG_BATCH_ID } from "../pipeline-shared/naming";
import { batchCostUsd, formatBatchCost } from "../pipeline-shared/pricing";
import { markAfterPublish, publishEvent } from "../shared/events";
import { objectExists } from "../shared/objects";
import { type BacklogTicket, parseBacklog } from "./tickets";

/** Each document is cut, at a character boundary, to what ClassifyDocument and training read: 10,000 bytes. */
export const MAX_DOCUMENT_BYTES = 10_000;
/** What one upload may hold here: read whole into the function's memory. */
export const MAX_BATCH_UPLOAD_BYTES = 200 * 1024 * 1024;

/**
 * Comprehend's limits on one asynchronous classification job of plain text ("Guidelines and quotas",
 * document classification, and "Inputs for asynchronous custom analysis", Amazon Comprehend Developer Guide):
 * checked before a job starts, so that an export over one is refused at once with the limit named instead of
 * failing hours later after the "started" email.
 */
export const COMPREHEND_JOB_LIMITS = {
  /** "Maximum number of lines, one document per line (for all files in request)". */
  maxLines: 1_000_000,
  /** "Total size of all files in asynchronous job". */
  maxTotalBytes: 5 * 1024 ** 3,
  /** "Maximum number of concurrent active jobs per job type" (adjustable in Service Quotas). */
  maxActiveJobs: 10,
} as const;

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
  /** The function's Region: a named classifier of another Region is refused with that reason. */
  readonly region?: string | undefined;
  /** Comprehend's job limits, lower in tests. */
  readonly jobLimits?: Partial<Record<keyof typeof COMPREHEND_JOB_LIMITS, number>>;
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

/**
 * The job's input: one line per ticket with text, cut at a character boundary to what Comprehend reads, each
 * ending with a line feed ("each line of the file must end with a line feed", File formats for async
 * analysis). Empty tickets are left out: they get a row without a label and cost nothing.
 */
export function jobDocuments(tickets: readonly BacklogTicket[]): {
  lines: string[];
  ids: string[];
  text: string;
  bytes: number;
} {
  const lines: string[] = [];
  const ids: string[] = [];
  for (const ticket of tickets) {
    if (ticket.text.trim() === "") continue;
    const bytes = Buffer.from(ticket.text, "utf8");
    lines.push(
      bytes.length <= MAX_DOCUMENT_BYTES
        ? ticket.text
        : bytes.toString("utf8", 0, cutPoint(bytes, MAX_DOCUMENT_BYTES)),
    );
    ids.push(ticket.id);
  }
  const text = lines.map((line) => `${line}\n`).join("");
  return { lines, ids, text, bytes: Buffer.byteLength(text, "utf8") };
}

/** The job settings every classification job of the app shares: its role, VPC and key. */
export type JobConfig = Pick<
  BatchConfig,
  "namePrefix" | "outputPrefix" | "dataAccessRoleArn" | "kmsKeyArn" | "subnetIds" | "securityGroupIds"
>;

/**
 * Starts the classification job of a batch whose documents are written: in the VPC, with the app's key, named
 * and tagged so the scheduled check knows it, with a token that makes a repeated start the same job.
 */
export function startJob(
  comprehend: ComprehendClient,
  config: JobConfig,
  bucket: string,
  batchId: string,
  classifierArn: string,
) {
  const layout = batchLayout({ batchOutput: config.outputPrefix }, batchId);
  return comprehend.send(
    new StartDocumentClassificationJobCommand({
      JobName: batchJobName(config.namePrefix, batchId),
      DocumentClassifierArn: classifierArn,
      InputDataConfig: { S3Uri: `s3://${bucket}/${layout.documents}`, InputFormat: "ONE_DOC_PER_LINE" },
      OutputDataConfig: { S3Uri: `s3://${bucket}/${layout.output}`, KmsKeyId: config.kmsKeyArn },
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
}

/** The batch's ids: every ticket in export order, and the ticket each line of the job's input stands for. */
export interface BatchIds {
  readonly tickets: readonly string[];
  readonly documents: readonly string[];
}

/** Reads ids.json; batches started before empty tickets were left out wrote the plain list (one per line). */
export function parseBatchIds(json: string): BatchIds {
  const parsed = JSON.parse(json) as unknown;
  if (Array.isArray(parsed)) return { tickets: parsed as string[], documents: parsed as string[] };
  return parsed as BatchIds;
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

/** Comprehend's answers to StartDocumentClassificationJob that no retry changes: the classifier or request is wrong. */
const REFUSALS = new Set([
  "InvalidRequestException",
  "ResourceNotFoundException",
  "ResourceUnavailableException",
  "KmsKeyValidationException",
  "TooManyTagsException",
]);

/** The named classifier, checked before a job is started with it: trained, in this Region and account. */
async function checkClassifier(deps: BatchDeps, arn: string, region: string | undefined): Promise<void> {
  const parts = parseClassifierArn(arn);
  if (region && parts && parts.region !== region) {
    throw new InputError(
      `the classifier ${arn} is in ${parts.region}, and batch jobs here run in ${region}: name a classifier of this Region`,
    );
  }
  const properties = await describeClassifier(deps.comprehend, arn);
  if (!properties) throw new InputError(`Comprehend knows no classifier ${arn} in this account and Region`);
  if (!isFinished(properties.Status)) {
    throw new InputError(
      `the classifier ${arn} is ${properties.Status}${properties.Message ? ` (${properties.Message})` : ""}: a job needs a trained one`,
    );
  }
}

/** This batch's job, if an earlier attempt started it (job names are unique per batch: batchJobName). */
async function jobOfBatch(
  comprehend: ComprehendClient,
  jobName: string,
): Promise<DocumentClassificationJobProperties | undefined> {
  for await (const page of paginateListDocumentClassificationJobs(
    { client: comprehend },
    { Filter: { JobName: jobName } },
  )) {
    const found = page.DocumentClassificationJobPropertiesList?.find((job) => job.JobName === jobName);
    if (found) return found;
  }
  return undefined;
}

async function activeJobs(comprehend: ComprehendClient): Promise<number> {
  let count = 0;
  for (const status of ["SUBMITTED", "IN_PROGRESS"] as const) {
    for await (const page of paginateListDocumentClassificationJobs(
      { client: comprehend },
      { Filter: { JobStatus: status } },
    )) {
      count += page.DocumentClassificationJobPropertiesList?.length ?? 0;
    }
  }
  return count;
}

export async function startBatch(source: SourceObject, deps: BatchDeps): Promise<BatchStartOutcome> {
  const { config, s3, logger } = deps;
  const limits = { ...COMPREHEND_JOB_LIMITS, ...config.jobLimits };
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
    const exported = decodeExport((await object.Body?.transformToByteArray()) ?? new Uint8Array());
    const { tickets, repeated } = parseBacklog(exported.text, {
      idColumn: config.idColumn,
      textColumns: config.textColumns,
      settings: { id: "the batch_id_column variable", text: "the csv_text_columns variable" },
    });
    if (tickets.length === 0) throw new InputError("the export has a header but no tickets");
    const documents = jobDocuments(tickets);
    if (documents.ids.length === 0)
      throw new InputError("every ticket of the export is empty: nothing to classify");
    if (documents.ids.length > limits.maxLines) {
      throw new InputError(
        `${documents.ids.length} tickets with text are over Comprehend's limit of ${limits.maxLines} documents (lines) per classification job; split the export into uploads of at most that many`,
      );
    }
    if (documents.bytes > limits.maxTotalBytes) {
      throw new InputError(
        `the job's input would be ${documents.bytes} bytes, over Comprehend's limit of ${limits.maxTotalBytes} bytes per classification job; split the export`,
      );
    }
    // A retry after the job started (its email or marker failed) finds the job by its name and keeps it: no second
    // choice of classifier, and no quota check that would count the batch's own job against it.
    const earlier = await jobOfBatch(deps.comprehend, batchJobName(config.namePrefix, batchId));
    const classifierArn =
      earlier?.DocumentClassifierArn ??
      named ??
      (await newestTrainedClassifier(deps.comprehend, config.namePrefix));
    if (named && !earlier) await checkClassifier(deps, named, config.region);
    const running = earlier ? 0 : await activeJobs(deps.comprehend);
    if (running >= limits.maxActiveJobs) {
      throw new InputError(
        `${running} classification jobs are running in this account and Region, and Comprehend runs at most ${limits.maxActiveJobs} at a time (its default quota of concurrent jobs per job type); upload the export again once one has finished, or raise the quota in Service Quotas`,
      );
    }
    await s3.send(
      new PutObjectCommand({
        Bucket: source.bucket,
        Key: layout.documents,
        Body: documents.text,
        ContentType: "text/plain; charset=utf-8",
      }),
    );
    const ids: BatchIds = { tickets: tickets.map((t) => t.id), documents: documents.ids };
    await s3.send(
      new PutObjectCommand({
        Bucket: source.bucket,
        Key: layout.ids,
        Body: JSON.stringify(ids),
        ContentType: "application/json",
      }),
    );
    let job: { JobId?: string | undefined; JobArn?: string | undefined } = {
      JobId: earlier?.JobId,
      JobArn: earlier?.JobArn,
    };
    try {
      // A job of this batch found above is adopted; otherwise one is started (with a fixed ClientRequestToken too).
      if (!earlier) job = await startJob(deps.comprehend, config, source.bucket, batchId, classifierArn);
    } catch (error) {
      if (isAwsError(error, ...REFUSALS)) {
        throw new InputError(
          `Comprehend refused the job with ${classifierArn}: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      throw error;
    }
    const jobId = job.JobId ?? "";
    const empty = tickets.length - documents.ids.length;
    await publishEvent(deps.sns, config.topicArn, {
      eventType: "batch_started",
      subject: `Backlog classification started: ${tickets.length} tickets`,
      text: [
        `The backlog s3://${source.bucket}/${source.key} is being classified (batch ${batchId}, job ${jobId}).`,
        `Tickets: ${tickets.length}; classifier: ${classifierArn}.`,
        ...(conversionWarning(exported.encoding) ? [`Note: ${conversionWarning(exported.encoding)}.`] : []),
        ...(empty > 0
          ? [`Empty tickets (no text, not sent, no cost; flagged for review in the results): ${empty}.`]
          : []),
        ...(repeated.length > 0
          ? [
              `Rows repeating an earlier ticket's ${config.idColumn} (the first row of each is classified): ${repeated.length}, e.g. ${repeated
                .slice(0, 5)
                .map((r) => `${r.id} (record ${r.line})`)
                .join(", ")}.`,
            ]
          : []),
        `Estimated cost: ${formatBatchCost(batchCostUsd(documents.lines.map((line) => line.length)))}.`,
        "No endpoint is needed: the job bills per character. You will get the results when it finishes.",
      ].join("\n"),
      detail: {
        batch_id: batchId,
        job_id: jobId,
        classifier_arn: classifierArn,
        tickets: tickets.length,
        empty_tickets: empty,
        repeated_rows: repeated.length,
      },
    });
    await markAfterPublish(() =>
      s3.send(
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
      ),
    );
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
    await markAfterPublish(() =>
      s3.send(
        new PutObjectCommand({
          Bucket: source.bucket,
          Key: layout.rejected,
          Body: JSON.stringify({ batch_id: batchId, reason: error.message }),
          ContentType: "application/json",
        }),
      ),
    );
    return { batch_id: batchId, status: "rejected", reason: error.message };
  }
}
