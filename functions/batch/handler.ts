/**
 * Backlog classification without an endpoint: an export under batch_input/ starts an asynchronous job; the
 * job's output under batch_output/ becomes the results CSV and an email; the schedule reports jobs that failed
 * or were stopped (they write no output). One function, two S3 triggers and a schedule.
 */
import { ComprehendClient } from "@aws-sdk/client-comprehend";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import type { Context, S3Event, ScheduledEvent, SNSEvent } from "aws-lambda";
import { DEFAULT_REVIEW_THRESHOLD } from "../../contract/batch";
import { checkPrefix } from "../../contract/data-layout";
import { BATCH_ENVIRONMENT, splitList } from "../../contract/environment";
import { SCORING_DEFAULTS } from "../../contract/scoring";
import { parseS3Event } from "../etl/source";
import {
  ConfigError,
  readBool,
  readContract,
  readFraction,
  readIdList,
  readPositiveInt,
} from "../shared/config";
import { parseEventMessage } from "../shared/events";
import { isScheduledEvent, isSnsEvent } from "../shared/invocations";
import { createLogger } from "../shared/logger";
import { checkBatchJobs } from "./check";
import { finishBatch } from "./finish";
import { type ScoringConfig, startScoring } from "./scoring";
import { startBatch } from "./start";

const config = readContract(BATCH_ENVIRONMENT);
for (const name of ["BATCH_INPUT_PREFIX", "BATCH_OUTPUT_PREFIX"] as const) {
  const problem = checkPrefix(name, config[name]);
  if (problem) throw new ConfigError(problem);
}
const logger = createLogger("batch");
const s3 = new S3Client({});
const sns = new SNSClient({});
const comprehend = new ComprehendClient({});
const reviewThreshold = readFraction(
  "REVIEW_THRESHOLD",
  config.REVIEW_THRESHOLD ?? String(DEFAULT_REVIEW_THRESHOLD),
);

const jobConfig = {
  namePrefix: config.NAME_PREFIX,
  outputPrefix: config.BATCH_OUTPUT_PREFIX,
  dataAccessRoleArn: config.DATA_ACCESS_ROLE_ARN,
  kmsKeyArn: config.KMS_KEY_ARN,
  subnetIds: readIdList("SUBNET_IDS", config.SUBNET_IDS, 16),
  securityGroupIds: readIdList("SECURITY_GROUP_IDS", config.SECURITY_GROUP_IDS, 5),
};
const scoring: ScoringConfig = {
  ...jobConfig,
  topicArn: config.TOPIC_ARN,
  bucket: config.DATA_BUCKET,
  preppedPrefix: config.PREPPED_PREFIX,
  reportsPrefix: config.REPORTS_PREFIX,
  targetPrecision: readFraction(
    "AUTO_ROUTE_PRECISION",
    config.AUTO_ROUTE_PRECISION ?? String(SCORING_DEFAULTS.autoRoutePrecision),
  ),
  sampleDocuments: readPositiveInt(
    "THRESHOLD_SAMPLE_DOCUMENTS",
    config.THRESHOLD_SAMPLE_DOCUMENTS,
    SCORING_DEFAULTS.sampleDocuments,
  ),
};

export const handler = async (
  event: S3Event | ScheduledEvent | SNSEvent,
  context: Context,
): Promise<unknown[]> => {
  logger.addContext(context);
  if (isSnsEvent(event)) {
    // training_finished (the subscription's filter): score the trained model on its test documents.
    const outcomes: unknown[] = [];
    for (const record of event.Records) {
      const message = parseEventMessage(record.Sns.Message);
      if (message.event_type !== "training_finished") continue;
      outcomes.push(await startScoring(message, { s3, sns, comprehend, logger, config: scoring }));
    }
    return outcomes;
  }
  if (isScheduledEvent(event)) {
    return checkBatchJobs({
      s3,
      sns,
      comprehend,
      logger,
      topicArn: config.TOPIC_ARN,
      namePrefix: config.NAME_PREFIX,
      bucket: config.DATA_BUCKET,
      outputPrefix: config.BATCH_OUTPUT_PREFIX,
    });
  }
  const outcomes: unknown[] = [];
  for (const source of parseS3Event(event)) {
    if (source.key.startsWith(config.BATCH_INPUT_PREFIX) && /\.csv$/i.test(source.key)) {
      outcomes.push(
        await startBatch(source, {
          s3,
          sns,
          comprehend,
          logger,
          config: {
            ...jobConfig,
            topicArn: config.TOPIC_ARN,
            idColumn: config.BATCH_ID_COLUMN,
            textColumns: splitList(config.CSV_TEXT_COLUMNS),
            classifierArn: config.CLASSIFIER_ARN,
            region: process.env.AWS_REGION,
          },
        }),
      );
    } else if (source.key.startsWith(config.BATCH_OUTPUT_PREFIX)) {
      outcomes.push(
        await finishBatch(source.bucket, source.key, {
          s3,
          sns,
          comprehend,
          logger,
          topicArn: config.TOPIC_ARN,
          outputPrefix: config.BATCH_OUTPUT_PREFIX,
          reviewThreshold,
          reviewQueue: readBool("REVIEW_QUEUE", config.REVIEW_QUEUE),
          scoring,
        }),
      );
    } else {
      logger.warn("Ignoring an object outside the batch prefixes", { key: source.key });
      outcomes.push({ status: "ignored", key: source.key });
    }
  }
  return outcomes;
};
