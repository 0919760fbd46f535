import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import type { Context, ScheduledEvent } from "aws-lambda";
import { DRIFT_DEFAULTS, DRIFT_ENVIRONMENT } from "../../contract/environment";
import { requestRetrainingIfDue } from "../pipeline-shared/retrain-trigger";
import { readContract, readFraction, readNonNegativeInt, readPositiveInt } from "../shared/config";
import { createLogger } from "../shared/logger";
import { type DriftConfig, type DriftDeps, runDriftCheck } from "./check";
import type { DriftAssessment } from "./core";

const env = readContract(DRIFT_ENVIRONMENT);

function readPoints(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0 || parsed > 100) {
    throw new RangeError(`${name} must be a number of percentage points from 0 to 100, got "${value}"`);
  }
  return parsed;
}

const config: DriftConfig = {
  topicArn: env.TOPIC_ARN,
  classifierArn: env.CLASSIFIER_ARN,
  namePrefix: env.NAME_PREFIX,
  bucket: env.DATA_BUCKET,
  reportsPrefix: env.REPORTS_PREFIX,
  namespace: env.METRICS_NAMESPACE,
  dashboardUrl: env.DASHBOARD_URL,
  docsUrl: env.DOCS_URL,
  thresholds: {
    distance:
      env.DRIFT_DISTANCE_THRESHOLD === undefined
        ? DRIFT_DEFAULTS.distance
        : readFraction("DRIFT_DISTANCE_THRESHOLD", env.DRIFT_DISTANCE_THRESHOLD),
    lowConfidenceRisePoints: readPoints(
      "LOW_CONFIDENCE_RISE_POINTS",
      env.LOW_CONFIDENCE_RISE_POINTS,
      DRIFT_DEFAULTS.lowConfidenceRisePoints,
    ),
    minAnswers: readPositiveInt("DRIFT_MIN_ANSWERS", env.DRIFT_MIN_ANSWERS, DRIFT_DEFAULTS.minAnswers),
  },
};
const retrainAfterCorrections = readNonNegativeInt(
  "RETRAIN_AFTER_CORRECTIONS",
  env.RETRAIN_AFTER_CORRECTIONS,
  0,
);
const logger = createLogger("drift-check");
const deps: DriftDeps = {
  config,
  cloudwatch: new CloudWatchClient({}),
  s3: new S3Client({}),
  sns: new SNSClient({}),
  logger,
  now: () => new Date(),
};

/** EventBridge schedule (drift_check_schedule) -> compare last week with the served model's training data. */
export const handler = async (_event: ScheduledEvent, context: Context): Promise<DriftAssessment> => {
  logger.addContext(context);
  const assessment = await runDriftCheck(deps);
  // The weekly sweep for retrain_after_corrections: imported exports and the review page's answers count too,
  // and no API correction may come to count them.
  if (retrainAfterCorrections > 0) {
    // The drift email has gone out: a failure here is logged, not retried (which would email again).
    try {
      const outcome = await requestRetrainingIfDue({
        s3: deps.s3,
        bucket: config.bucket,
        afterCorrections: retrainAfterCorrections,
        servedClassifierArn: config.classifierArn,
        now: deps.now,
      });
      logger.info("corrections since the last retraining request", outcome);
    } catch (error) {
      logger.error("could not count the corrections for retrain_after_corrections", {
        error: error as Error,
      });
    }
  }
  return assessment;
};
