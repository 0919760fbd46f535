/**
 * The classify function's metrics, in CloudWatch's embedded metric format (Powertools for AWS Lambda's Metrics):
 * the names the function writes and the dashboard, alarms and drift check read, written once.
 */

/** The namespace of an app's metrics: one per deployment, so two apps in an account never mix. */
export function metricsNamespace(namePrefix: string): string {
  return `${namePrefix}/classifier`;
}

export const CLASSIFY_METRICS = {
  /** Every answer with a label (dimension: service). */
  answers: "Answers",
  /** Answers whose top score is below the review threshold (dimension: service). */
  lowConfidence: "LowConfidenceAnswers",
  /** Answers per predicted label (dimensions: service, label): the label mix over time. */
  answersByLabel: "AnswersByLabel",
  /**
   * 503s outside endpoint_active_hours and while the endpoint is re-created at their start (dimension: service):
   * by design, so the 5XX alarm leaves them out.
   */
  paused: "PausedAnswers",
} as const;

/** The corrections function's counts (dimension: service): how many, and how many with a label the model lacks. */
export const CORRECTION_METRICS = {
  corrections: "Corrections",
  newLabels: "NewLabelCorrections",
} as const;

/** The dimension that names the predicted label. */
export const LABEL_DIMENSION = "label";

/** What the API's access logs are counted into (a metric filter): API Gateway has no metric for 429s alone. */
export const API_METRICS = {
  throttled: "ThrottledRequests",
} as const;

/**
 * Powertools' default dimension: the service name, which the stack sets to the function's bundle name
 * (POWERTOOLS_SERVICE_NAME). The classify function is bundled under this name.
 */
export const SERVICE_DIMENSION = "service";
export const CLASSIFY_SERVICE = "classify";

/**
 * Comprehend's own endpoint metrics ("Monitoring Amazon Comprehend endpoints", Amazon Comprehend Developer
 * Guide): by the EndpointArn dimension, one-minute data; ProvisionedInferenceUnits read as Average,
 * InferenceUtilization (percent of the provisioned throughput used) and ConsumedInferenceUnits as Sum.
 */
export const COMPREHEND_ENDPOINT_METRICS = {
  namespace: "AWS/Comprehend",
  dimension: "EndpointArn",
  provisionedUnits: "ProvisionedInferenceUnits",
  consumedUnits: "ConsumedInferenceUnits",
  utilization: "InferenceUtilization",
} as const;
