import type { Logger } from "@aws-lambda-powertools/logger";
import type { ComprehendClient, DocumentClassifierProperties } from "@aws-sdk/client-comprehend";
import type { SNSClient } from "@aws-sdk/client-sns";
import {
  describeClassifier,
  isFailed,
  isFinished,
  latestSubmitted,
  listAllClassifiers,
  listClassifiersNamed,
  readTags,
  writeTag,
} from "../pipeline-shared/classifiers";
import {
  classifierArn,
  classifierName,
  classifierVersionName,
  parseClassifierArn,
  RUN_ID_MAX_LENGTH,
  runOf,
  TAG_APP,
  TAG_NOTIFIED,
} from "../pipeline-shared/naming";
import { publishEvent } from "../shared/events";
import { decodeS3Key } from "../shared/s3";
import type { NotifyConfig } from "./config";
import type { ModelComparison } from "./model-report";
import { outcomeEvent } from "./report";

export interface NotifyDeps {
  readonly comprehend: ComprehendClient;
  readonly sns: SNSClient;
  readonly config: NotifyConfig;
  readonly logger: Logger;
  /**
   * Writes the trained model's report beside the baseline's from the training output (bucket, key), and
   * returns both models' figures; undefined or a failure leave the email without the comparison.
   */
  readonly compare?: (
    bucket: string,
    outputKey: string,
    runId: string,
    classifierArn: string,
  ) => Promise<ModelComparison>;
}

export type NotifyResult =
  | { readonly outcome: "ignored"; readonly reason: string }
  | { readonly outcome: "not_found"; readonly run_id: string; readonly classifier_name: string }
  | {
      readonly outcome: "in_progress";
      readonly run_id: string;
      readonly classifier_arn: string;
      readonly status: string;
    }
  | {
      readonly outcome: "reported" | "already_reported";
      readonly run_id: string;
      readonly classifier_arn: string;
      readonly status: string;
    };

/** S3 event keys arrive URL-encoded with "+" for spaces. */

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Comprehend writes `<prefix><run-id>/<account>-CLR-<job id>/output/output.tar.gz`; anything else is not ours. */
export function parseOutputKey(
  key: string,
  outputPrefix: string,
): { runId: string; account: string } | undefined {
  const pattern = new RegExp(
    `^${escapeRegExp(outputPrefix)}([a-z0-9](?:-*[a-z0-9])*)/(\\d{12})-CLR-[A-Za-z0-9]+/output/output\\.tar\\.gz$`,
  );
  const match = pattern.exec(key);
  if (!match?.[1] || !match[2] || match[1].length > RUN_ID_MAX_LENGTH) return undefined;
  return { runId: match[1], account: match[2] };
}

/**
 * Publishes the classifier's final state once. The `notified=<status>` tag, written after publishing, is the
 * durable record shared by the S3 trigger and the scheduled check; a crash between the two repeats the email
 * rather than losing it.
 */
/** Only a trained model's own output can be compared; a failure is logged and the email goes without it. */
async function compareModels(
  deps: NotifyDeps,
  bucket: string | undefined,
  outputKey: string | undefined,
  runId: string,
  arn: string,
  status: string,
): Promise<ModelComparison | undefined> {
  if (!deps.compare || !bucket || !outputKey || !isFinished(status)) return undefined;
  try {
    return await deps.compare(bucket, outputKey, runId, arn);
  } catch (error) {
    deps.logger.warn("Could not compare the trained model with the baseline", {
      error: (error as Error).message,
    });
    return undefined;
  }
}

async function reportClassifier(
  deps: NotifyDeps,
  properties: DocumentClassifierProperties,
  runId: string,
  name: string,
  bucket?: string,
  outputKey?: string,
): Promise<NotifyResult> {
  const arn = properties.DocumentClassifierArn ?? "";
  const status = properties.Status ?? "UNKNOWN";
  const comparison = await compareModels(deps, bucket, outputKey, runId, arn, status);
  const event = outcomeEvent({
    runId,
    name,
    arn,
    pricePerHour: deps.config.pricePerHour,
    reportsPrefix: deps.config.reportsPrefix,
    properties,
    bucket,
    ...(comparison ? { comparison } : {}),
  });
  if (!event) {
    deps.logger.info("Classifier has not reached a final state; the scheduled check will report it", {
      classifier_arn: arn,
      status,
    });
    return { outcome: "in_progress", run_id: runId, classifier_arn: arn, status };
  }
  const tags = await readTags(deps.comprehend, arn);
  if (tags[TAG_APP] !== undefined && tags[TAG_APP] !== deps.config.namePrefix) {
    // Another deployment whose prefix extends ours (`itsr-dev` beside `itsr`): its own notify reports it.
    const reason = `classifier belongs to app ${tags[TAG_APP]}`;
    deps.logger.info("Skipping another app's classifier", { classifier_arn: arn, reason });
    return { outcome: "ignored", reason };
  }
  if (tags[TAG_NOTIFIED] === status) {
    deps.logger.info("Classifier outcome already reported", { classifier_arn: arn, status });
    return { outcome: "already_reported", run_id: runId, classifier_arn: arn, status };
  }
  const messageId = await publishEvent(deps.sns, deps.config.topicArn, event);
  await writeTag(deps.comprehend, arn, TAG_NOTIFIED, status);
  deps.logger.info("Reported classifier outcome", {
    classifier_arn: arn,
    status,
    event_type: event.eventType,
    sns_message_id: messageId,
  });
  return { outcome: "reported", run_id: runId, classifier_arn: arn, status };
}

/** This app's classifier version named by the run, whichever classifier it was trained under. */
async function findVersion(
  deps: NotifyDeps,
  runId: string,
): Promise<DocumentClassifierProperties | undefined> {
  for await (const properties of listAllClassifiers(deps.comprehend)) {
    const parts = parseClassifierArn(properties.DocumentClassifierArn ?? "");
    if (parts && parts.version === runId && runOf(deps.config.namePrefix, parts) === runId) return properties;
  }
  return undefined;
}

/** Trigger 1: Comprehend wrote a model's output.tar.gz, so its classifier has (just) finished. */
export async function handleOutputObject(
  deps: NotifyDeps,
  bucket: string,
  rawKey: string,
): Promise<NotifyResult> {
  const key = decodeS3Key(rawKey);
  const parsed = parseOutputKey(key, deps.config.outputPrefix);
  if (!parsed) {
    const reason = `s3://${bucket}/${key} is not a classifier output (${deps.config.outputPrefix}<run-id>/<account>-CLR-<id>/output/output.tar.gz)`;
    deps.logger.warn("Ignoring an S3 object that is not a training output", { reason });
    return { outcome: "ignored", reason };
  }
  const { runId, account } = parsed;
  const name = classifierName(deps.config.namePrefix, runId);
  deps.logger.appendKeys({ run_id: runId });
  try {
    const arn = classifierArn({
      partition: deps.config.partition,
      region: deps.config.region,
      account,
      name,
      version: classifierVersionName(runId),
    });
    // The versioned ARN is what the train function creates; the name search covers classifiers created by hand.
    // A retraining's run is a version of the served classifier, under that classifier's name.
    const properties =
      (await describeClassifier(deps.comprehend, arn)) ??
      latestSubmitted(await listClassifiersNamed(deps.comprehend, name)) ??
      (await findVersion(deps, runId));
    if (!properties?.DocumentClassifierArn) {
      deps.logger.warn("No classifier found for a training output", { classifier_arn: arn, s3_key: key });
      return { outcome: "not_found", run_id: runId, classifier_name: name };
    }
    const found = parseClassifierArn(properties.DocumentClassifierArn)?.name ?? name;
    return await reportClassifier(deps, properties, runId, found, bucket, key);
  } finally {
    deps.logger.removeKeys(["run_id"]);
  }
}

/**
 * Trigger 2 (schedule): failed trainings write no output object, so this sweep is how they reach the
 * operator; it also catches finished ones whose S3 event was missed.
 */
export async function checkClassifiers(deps: NotifyDeps): Promise<NotifyResult[]> {
  const results: NotifyResult[] = [];
  let seen = 0;
  for await (const properties of listAllClassifiers(deps.comprehend)) {
    const parts = parseClassifierArn(properties.DocumentClassifierArn ?? "");
    const runId = parts && runOf(deps.config.namePrefix, parts);
    if (!parts || !runId) continue;
    seen += 1;
    if (!isFinished(properties.Status) && !isFailed(properties.Status)) continue;
    deps.logger.appendKeys({ run_id: runId });
    try {
      results.push(await reportClassifier(deps, properties, runId, parts.name));
    } finally {
      deps.logger.removeKeys(["run_id"]);
    }
  }
  deps.logger.info("Scheduled classifier check done", {
    app_classifiers: seen,
    reported: results.filter((r) => r.outcome === "reported").length,
  });
  return results;
}
