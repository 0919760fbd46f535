import { Metrics } from "@aws-lambda-powertools/metrics";
import { ClassifyDocumentCommand, ComprehendClient } from "@aws-sdk/client-comprehend";
import { S3Client } from "@aws-sdk/client-s3";
import type { APIGatewayProxyEvent, Context } from "aws-lambda";
import { parseActiveHours } from "../../contract/active-hours";
import { DEFAULT_REVIEW_THRESHOLD } from "../../contract/batch";
import { CLASSIFY_ENVIRONMENT } from "../../contract/environment";
import type { RoutingThresholds } from "../../contract/scoring";
import {
  type EffectiveThreshold,
  readRoutingThresholds,
  routingKeyOf,
  thresholdFor,
} from "../pipeline-shared/routing-thresholds";
import { readContract, readFraction, readPositiveInt } from "../shared/config";
import { createLogger } from "../shared/logger";
import {
  answerForComprehendError,
  type ClassScore,
  decisionFor,
  errorResponse,
  type ProxyResult,
  parseClassifyRequest,
  pausedAnswer,
  RequestError,
  rankClasses,
  resumingAnswer,
  successResponse,
  truncateUtf8,
  wantsDecision,
} from "./core";
import { recordAnswer, recordPaused } from "./metrics";
import { enqueue, reviewItemFor } from "./review-queue";

const config = readContract(CLASSIFY_ENVIRONMENT);
const retryAfterSeconds = readPositiveInt("RETRY_AFTER_SECONDS", config.RETRY_AFTER_SECONDS, 60);
const reviewThreshold = readFraction(
  "REVIEW_THRESHOLD",
  config.REVIEW_THRESHOLD ?? String(DEFAULT_REVIEW_THRESHOLD),
);
const activeHours = parseActiveHours(config.ACTIVE_HOURS);
// Namespace and service from POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_SERVICE_NAME, set by the stack.
const metrics = new Metrics({ namespace: config.POWERTOOLS_METRICS_NAMESPACE });
const logger = createLogger("classify");
// The SDK's standard retry mode already backs off on throttling; what still fails after that is reported as 429.
const comprehend = new ComprehendClient({});
// The review queue's bucket; unset (review_queue_enabled = false): low-score answers are only counted.
const reviewBucket = config.REVIEW_QUEUE_BUCKET;
const s3 = new S3Client({});

// The served model's per-label thresholds, read once per container; re-read after a while when not written yet
// (scoring finishes after training, and the endpoint may be served before it does).
const routingKey =
  config.DATA_BUCKET && config.REPORTS_PREFIX && config.NAME_PREFIX && config.CLASSIFIER_ARN
    ? routingKeyOf(config.REPORTS_PREFIX, config.NAME_PREFIX, config.CLASSIFIER_ARN)
    : undefined;
const MISSING_THRESHOLDS_RETRY_MS = 15 * 60 * 1000;
let routing: { read: Promise<RoutingThresholds | undefined>; at: number } | undefined;
async function servedThresholds(): Promise<(label: string) => EffectiveThreshold> {
  const fallback = (label: string) => thresholdFor(label, undefined, reviewThreshold);
  if (!routingKey || !config.DATA_BUCKET) return fallback;
  if (!routing || Date.now() - routing.at > MISSING_THRESHOLDS_RETRY_MS) {
    routing = {
      at: Date.now(),
      read: readRoutingThresholds(s3, config.DATA_BUCKET, routingKey).catch((error: Error) => {
        logger.warn("the per-label thresholds could not be read; review_threshold decides", { error });
        return undefined;
      }),
    };
  }
  const thresholds = await routing.read;
  // Found thresholds do not change under a running function: keep them.
  if (thresholds) routing.at = Number.POSITIVE_INFINITY;
  return (label) => thresholdFor(label, thresholds, reviewThreshold);
}

export const handler = async (event: APIGatewayProxyEvent, context: Context): Promise<ProxyResult> => {
  logger.addContext(context);
  logger.appendKeys({ api_request_id: event.requestContext?.requestId, endpoint_arn: config.ENDPOINT_ARN });
  try {
    return await classify(event);
  } finally {
    logger.resetKeys();
    // Refused requests have no answer to count; publishing nothing would only log a warning.
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  }
};

/** A failed write costs the queue one item, never the caller its answer: logged, and the answer goes out. */
async function queueForReview(
  text: string,
  classes: ClassScore[],
  requestId: string | undefined,
  thresholdOf: (label: string) => EffectiveThreshold,
) {
  if (!reviewBucket || !requestId) return;
  const item = reviewItemFor(text, classes, thresholdOf, requestId, new Date());
  if (!item) return;
  try {
    const key = await enqueue(s3, reviewBucket, item);
    logger.info("queued for review", {
      review_key: key,
      top_class: item.predicted_label,
      top_score: item.score,
    });
  } catch (error) {
    logger.error("could not queue the answer for review", { error: error as Error });
  }
}

async function classify(event: APIGatewayProxyEvent): Promise<ProxyResult> {
  if (event.httpMethod && event.httpMethod !== "POST") {
    return errorResponse(405, `Method ${event.httpMethod} is not allowed; use POST`, { Allow: "POST" });
  }

  let text: string;
  try {
    text = parseClassifyRequest(event.body, event.isBase64Encoded);
  } catch (error) {
    if (!(error instanceof RequestError)) throw error;
    logger.info("rejected request", { status_code: error.statusCode, reason: error.message });
    return errorResponse(error.statusCode, error.message);
  }

  const paused = pausedAnswer(new Date(), activeHours);
  if (paused) {
    recordPaused(metrics);
    return errorResponse(paused.statusCode, paused.message, paused.headers);
  }

  const fitted = truncateUtf8(text);
  if (fitted.truncated) {
    logger.info("text truncated to the real-time limit", {
      original_bytes: Buffer.byteLength(text, "utf8"),
      sent_bytes: Buffer.byteLength(fitted.text, "utf8"),
    });
  }

  try {
    const result = await comprehend.send(
      new ClassifyDocumentCommand({ EndpointArn: config.ENDPOINT_ARN, Text: fitted.text }),
    );
    const classes = rankClasses(result.Classes?.length ? result.Classes : result.Labels);
    logger.info("classified", { top_class: classes[0]?.Name, top_score: classes[0]?.Score });
    recordAnswer(metrics, classes[0], reviewThreshold);
    const thresholdOf = await servedThresholds();
    await queueForReview(text, classes, event.requestContext?.requestId, thresholdOf);
    const decision = wantsDecision(event.queryStringParameters)
      ? decisionFor(classes, thresholdOf)
      : undefined;
    return successResponse(classes, fitted.truncated, decision);
  } catch (error) {
    const resuming = resumingAnswer(new Date(), activeHours, error);
    if (resuming) {
      recordPaused(metrics);
      logger.info("endpoint still starting for the active hours", { error_name: (error as Error).name });
      return errorResponse(resuming.statusCode, resuming.message, resuming.headers);
    }
    const answer = answerForComprehendError(error, retryAfterSeconds);
    if (answer.serverFault) {
      logger.error("ClassifyDocument failed", { error: error as Error, status_code: answer.statusCode });
    } else {
      logger.warn("ClassifyDocument refused", {
        error_name: (error as Error).name,
        error_message: (error as Error).message,
        status_code: answer.statusCode,
      });
    }
    return errorResponse(answer.statusCode, answer.message, answer.headers);
  }
}
