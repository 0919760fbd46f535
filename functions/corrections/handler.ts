import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { S3Client } from "@aws-sdk/client-s3";
import type { APIGatewayProxyEvent, Context } from "aws-lambda";
import { CORRECTIONS_ENVIRONMENT } from "../../contract/environment";
import { CORRECTION_METRICS } from "../../contract/metrics";
import { errorResponse, type ProxyResult } from "../classify/core";
import { requestRetrainingIfDue } from "../pipeline-shared/retrain-trigger";
import { readTrainingMix } from "../pipeline-shared/training-mix";
import { readContract, readNonNegativeInt } from "../shared/config";
import { createLogger } from "../shared/logger";
import { parseCorrectionRequest, RequestError } from "./core";
import { recordCorrection } from "./record";

const config = readContract(CORRECTIONS_ENVIRONMENT);
const logger = createLogger("corrections");
const metrics = new Metrics({ namespace: config.POWERTOOLS_METRICS_NAMESPACE });
const s3 = new S3Client({});
const servedModel = {
  classifierArn: config.CLASSIFIER_ARN,
  namePrefix: config.NAME_PREFIX,
  bucket: config.DATA_BUCKET,
  reportsPrefix: config.REPORTS_PREFIX,
};
// Read once per container: the served model does not change under a running function.
let labels: Promise<ReadonlySet<string> | undefined> | undefined;
const knownLabels = () => {
  labels ??= readTrainingMix(s3, servedModel).then(
    (mix) => new Set(Object.keys(mix)),
    (error: Error) => {
      logger.warn("the served model's labels are unknown; new labels are not told apart", { error });
      return undefined;
    },
  );
  return labels;
};

const retrainAfterCorrections = readNonNegativeInt(
  "RETRAIN_AFTER_CORRECTIONS",
  config.RETRAIN_AFTER_CORRECTIONS,
  0,
);

/** The correction is stored whatever happens here: a failed count is logged, the next correction counts again. */
async function askForRetrainingIfDue(): Promise<void> {
  if (retrainAfterCorrections === 0) return;
  try {
    const outcome = await requestRetrainingIfDue({
      s3,
      bucket: config.DATA_BUCKET,
      afterCorrections: retrainAfterCorrections,
      servedClassifierArn: config.CLASSIFIER_ARN,
      now: () => new Date(),
    });
    if (outcome.requested) logger.info("retraining requested: enough new corrections", outcome);
  } catch (error) {
    logger.warn("could not count the corrections for retrain_after_corrections", { error: error as Error });
  }
}

/** POST /corrections: validates, stores the correction (and answers a queued ticket), 201 with what was stored. */
export const handler = async (event: APIGatewayProxyEvent, context: Context): Promise<ProxyResult> => {
  logger.addContext(context);
  try {
    const request = parseCorrectionRequest(event.body, event.isBase64Encoded);
    const { correction, key } = await recordCorrection(
      { s3, bucket: config.DATA_BUCKET, knownLabels, now: () => new Date() },
      request,
      "api",
    );
    metrics.addMetric(CORRECTION_METRICS.corrections, MetricUnit.Count, 1);
    metrics.addMetric(CORRECTION_METRICS.newLabels, MetricUnit.Count, correction.new_label ? 1 : 0);
    logger.info("correction stored", {
      correction_key: key,
      label: correction.label,
      new_label: correction.new_label,
    });
    await askForRetrainingIfDue();
    return {
      statusCode: 201,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        statusCode: 201,
        CorrectionId: correction.id,
        Label: correction.label,
        NewLabel: correction.new_label,
        ...(correction.review_id && {
          ReviewId: correction.review_id,
          PredictedLabel: correction.predicted_label,
        }),
      }),
    };
  } catch (error) {
    if (!(error instanceof RequestError)) throw error;
    logger.info("rejected correction", { status_code: error.statusCode, reason: error.message });
    return errorResponse(error.statusCode, error.message);
  } finally {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
};
