/**
 * The pipeline's events on the app's SNS topic. `event_type` is the message attribute subscriptions filter on:
 * the train function subscribes to `etl_completed` only (ETL_COMPLETED_FILTER, set by the stack); the
 * operator's email subscription receives all.
 */
export const PIPELINE_EVENT_TYPES = [
  "etl_completed",
  /** Training data ready, but the baseline is below min_baseline_macro_f1: training waits for the operator. */
  "etl_held",
  "etl_failed",
  "training_started",
  "training_finished",
  "training_failed",
  "batch_started",
  "batch_finished",
  "batch_failed",
  /** A ticket export under corrections_input/ became corrections (or was refused, with the reason). */
  "corrections_imported",
  "corrections_failed",
  /** A trained model is scored on a sample of its test documents; the price is in the email. */
  "scoring_started",
  /** The scored model's per-label routing thresholds and coverage. */
  "model_scored",
  /** A new version and the served one on the same documents, ending with the promotion command or why not. */
  "model_compared",
  /** The weekly check found the tickets' label mix or low-confidence share moved away from the model's. */
  "drift_detected",
] as const;

export type PipelineEventType = (typeof PIPELINE_EVENT_TYPES)[number];

/** The message attribute every event carries, and the train subscription's filter on it. */
export const EVENT_TYPE_ATTRIBUTE = "event_type";
export const ETL_COMPLETED_FILTER = {
  [EVENT_TYPE_ATTRIBUTE]: ["etl_completed"] satisfies PipelineEventType[],
};

/** The batch function scores every trained model (functions/batch/scoring.ts). */
export const TRAINING_FINISHED_FILTER = {
  [EVENT_TYPE_ATTRIBUTE]: ["training_finished"] satisfies PipelineEventType[],
};
