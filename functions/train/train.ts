import type { Logger } from "@aws-lambda-powertools/logger";
import { type ComprehendClient, CreateDocumentClassifierCommand } from "@aws-sdk/client-comprehend";
import type { SNSClient } from "@aws-sdk/client-sns";
import {
  describeClassifier,
  isAwsError,
  isInFlight,
  readTags,
  writeTag,
} from "../pipeline-shared/classifiers";
import { TAG_STARTED_NOTIFIED } from "../pipeline-shared/naming";
import { parseEventMessage, publishEvent } from "../shared/events";
import type { TrainConfig } from "./config";
import { type EtlCompleted, EtlMessageError, parseEtlCompleted } from "./etl-completed";
import { buildCreateClassifierInput, expectedClassifierArn, nameOf, trainingStartedEvent } from "./request";

export interface TrainDeps {
  readonly comprehend: ComprehendClient;
  readonly sns: SNSClient;
  readonly config: TrainConfig;
  readonly logger: Logger;
}

export type TrainResult =
  | { readonly outcome: "ignored"; readonly reason: string }
  | { readonly outcome: "started"; readonly run_id: string; readonly classifier_arn: string }
  | {
      readonly outcome: "already_exists";
      readonly run_id: string;
      readonly classifier_arn: string;
      readonly status: string;
    };

/**
 * Emails "training started" once: the tag written after publishing tells a redelivered message (or a retry
 * after the publish failed) whether the operator has already heard about this classifier.
 */
async function announce(deps: TrainDeps, etl: EtlCompleted, arn: string): Promise<void> {
  const messageId = await publishEvent(
    deps.sns,
    deps.config.topicArn,
    trainingStartedEvent(deps.config, etl, arn),
  );
  await writeTag(deps.comprehend, arn, TAG_STARTED_NOTIFIED, messageId ?? "true");
  deps.logger.info("Training started and announced", { classifier_arn: arn, sns_message_id: messageId });
}

async function reportExisting(
  deps: TrainDeps,
  etl: EtlCompleted,
  arn: string,
  status: string,
): Promise<TrainResult> {
  const existing = { outcome: "already_exists", run_id: etl.run_id, classifier_arn: arn, status } as const;
  if (!isInFlight(status)) {
    // A finished or failed classifier of this run was reported by the notify function; a second training
    // under the same name is impossible, so the operator has to delete it before retrying the same data.
    deps.logger.warn(
      "A classifier for this run already exists and is no longer training; not re-creating it",
      {
        classifier_arn: arn,
        status,
      },
    );
    return existing;
  }
  const tags = await readTags(deps.comprehend, arn);
  if (tags[TAG_STARTED_NOTIFIED]) {
    deps.logger.info("Duplicate message: training already started and announced", {
      classifier_arn: arn,
      status,
    });
    return existing;
  }
  await announce(deps, etl, arn);
  return existing;
}

/** Starts training for a validated run, or reports the classifier an earlier delivery already started. */
export async function startTraining(deps: TrainDeps, etl: EtlCompleted): Promise<TrainResult> {
  const arn = expectedClassifierArn(deps.config, etl.run_id, etl.version_of);
  const before = await describeClassifier(deps.comprehend, arn);
  if (before)
    return reportExisting(deps, etl, before.DocumentClassifierArn ?? arn, before.Status ?? "UNKNOWN");

  try {
    const output = await deps.comprehend.send(
      new CreateDocumentClassifierCommand(buildCreateClassifierInput(deps.config, etl)),
    );
    const created = output.DocumentClassifierArn ?? arn;
    // The same token makes a concurrent duplicate's create succeed too: only one of them announces.
    const tags = await readTags(deps.comprehend, created);
    if (!tags[TAG_STARTED_NOTIFIED]) await announce(deps, etl, created);
    return { outcome: "started", run_id: etl.run_id, classifier_arn: created };
  } catch (error) {
    if (!isAwsError(error, "ResourceInUseException")) throw error;
    // Another delivery of the same message won the race between our lookup and our create.
    const raced = await describeClassifier(deps.comprehend, arn);
    if (!raced) {
      throw new Error(`Comprehend says ${nameOf(deps.config, etl)} is in use, but ${arn} does not exist`, {
        cause: error,
      });
    }
    return reportExisting(deps, etl, raced.DocumentClassifierArn ?? arn, raced.Status ?? "UNKNOWN");
  }
}

/**
 * Handles one SNS message. Other pipeline events are logged and skipped; an `etl_completed` that fails
 * validation and AWS failures propagate, so Lambda retries and then alerts the operator.
 */
export async function handleMessage(deps: TrainDeps, message: string): Promise<TrainResult> {
  let parsed: ReturnType<typeof parseEventMessage>;
  try {
    parsed = parseEventMessage(message);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    deps.logger.warn("Ignoring an SNS message that is not a pipeline event", {
      reason,
      sns_message: message,
    });
    return { outcome: "ignored", reason };
  }
  if (parsed.event_type !== "etl_completed") {
    const reason = `event_type is ${parsed.event_type}, not etl_completed`;
    deps.logger.warn("Ignoring a pipeline event this function does not handle", {
      reason,
      sns_message: message,
    });
    return { outcome: "ignored", reason };
  }
  let etl: EtlCompleted;
  try {
    etl = parseEtlCompleted(parsed, deps.config);
  } catch (error) {
    if (error instanceof EtlMessageError) {
      // An etl_completed this function cannot act on is a pipeline fault, not noise: failing the invocation
      // sends it, after Lambda's retries, to the on-failure destination and so to the operator's inbox.
      deps.logger.error("Rejected an etl_completed message; no training started", {
        reason: error.message,
        sns_message: message,
      });
    }
    throw error;
  }
  deps.logger.appendKeys({ run_id: etl.run_id });
  try {
    return await startTraining(deps, etl);
  } finally {
    deps.logger.removeKeys(["run_id"]);
  }
}
