/** What both ways of classifying a backlog agree on: the results CSV a service desk gets back. */

/** The columns of a results CSV, from the client's --csv mode and (later) the batch job path alike. */
export const RESULT_COLUMNS = [
  "id",
  "predicted_label",
  "score",
  "runner_up_label",
  "runner_up_score",
  "needs_review",
  /** Why a ticket needs review: "low score", "empty ticket", "no prediction", or Comprehend's error. */
  "review_reason",
] as const;

/** Below this top score a ticket is flagged for a person to check, unless the caller names another. */
export const DEFAULT_REVIEW_THRESHOLD = 0.5;
