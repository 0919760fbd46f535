/**
 * Each function's environment, written once: the stack builds it with `environmentFor` (the compiler demands
 * every variable and no other), the handler reads it with `readEnvironment` (missing ones fail the cold start
 * by name). Renaming a variable here is a compile error in both places. Defaults live here too, for the
 * stack's Terraform variables, the handler's fallbacks and the local command alike.
 */

/** Required variables, then optional ones (with a default the function applies). */
interface Contract<Required extends string, Optional extends string> {
  readonly required: readonly Required[];
  readonly optional: readonly Optional[];
}

function contract<const R extends string, const O extends string = never>(
  required: readonly R[],
  optional: readonly O[] = [],
): Contract<R, O> {
  return { required, optional };
}

export const ETL_ENVIRONMENT = contract(
  [
    "TOPIC_ARN",
    "NAME_PREFIX",
    "WORK_DIR",
    "PREPPED_PREFIX",
    "REPORTS_PREFIX",
    "CSV_LABEL_COLUMN",
    "CSV_TEXT_COLUMNS",
  ],
  [
    "MIN_DOCS_PER_LABEL",
    "MAX_DOC_BYTES",
    "BASELINE_MAX_DOCUMENTS",
    "MIN_BASELINE_MACRO_F1",
    "MERGE_LABEL_VARIANTS",
    "TEST_SHARE",
  ],
);
export const TRAIN_ENVIRONMENT = contract(
  [
    "TOPIC_ARN",
    "NAME_PREFIX",
    "BUCKET_NAME",
    "PREPPED_PREFIX",
    "OUTPUT_PREFIX",
    "DATA_ACCESS_ROLE_ARN",
    "KMS_KEY_ARN",
    "SUBNET_IDS",
    "SECURITY_GROUP_IDS",
  ],
  ["TRAINING_PRICE_PER_HOUR"],
);
export const NOTIFY_ENVIRONMENT = contract(
  ["TOPIC_ARN", "NAME_PREFIX", "OUTPUT_PREFIX", "REPORTS_PREFIX"],
  ["TRAINING_PRICE_PER_HOUR"],
);
export const BATCH_ENVIRONMENT = contract(
  [
    "TOPIC_ARN",
    "NAME_PREFIX",
    "DATA_BUCKET",
    "BATCH_INPUT_PREFIX",
    "BATCH_OUTPUT_PREFIX",
    "DATA_ACCESS_ROLE_ARN",
    "KMS_KEY_ARN",
    "SUBNET_IDS",
    "SECURITY_GROUP_IDS",
    "BATCH_ID_COLUMN",
    "CSV_TEXT_COLUMNS",
    "PREPPED_PREFIX",
    "REPORTS_PREFIX",
  ],
  [
    "CLASSIFIER_ARN",
    "REVIEW_THRESHOLD",
    "REVIEW_QUEUE",
    "AUTO_ROUTE_PRECISION",
    "THRESHOLD_SAMPLE_DOCUMENTS",
  ],
);
export const CLASSIFY_ENVIRONMENT = contract(
  ["ENDPOINT_ARN", "POWERTOOLS_METRICS_NAMESPACE"],
  [
    "RETRY_AFTER_SECONDS",
    "REVIEW_THRESHOLD",
    "ACTIVE_HOURS",
    "REVIEW_QUEUE_BUCKET",
    /** Where the served model's per-label thresholds are (DATA_BUCKET, ROUTING_KEY's parts). */
    "DATA_BUCKET",
    "REPORTS_PREFIX",
    "CLASSIFIER_ARN",
    "NAME_PREFIX",
  ],
);
export const CORRECTIONS_ENVIRONMENT = contract(
  ["DATA_BUCKET", "REPORTS_PREFIX", "CLASSIFIER_ARN", "NAME_PREFIX", "POWERTOOLS_METRICS_NAMESPACE"],
  ["RETRAIN_AFTER_CORRECTIONS"],
);
export const DRIFT_ENVIRONMENT = contract(
  [
    "TOPIC_ARN",
    "CLASSIFIER_ARN",
    "NAME_PREFIX",
    "DATA_BUCKET",
    "REPORTS_PREFIX",
    "METRICS_NAMESPACE",
    "DASHBOARD_URL",
    "DOCS_URL",
  ],
  [
    "DRIFT_DISTANCE_THRESHOLD",
    "LOW_CONFIDENCE_RISE_POINTS",
    "DRIFT_MIN_ANSWERS",
    "RETRAIN_AFTER_CORRECTIONS",
  ],
);
/** The drift check's defaults (functions/drift/core.ts says why these). */
export const DRIFT_DEFAULTS = { distance: 0.2, lowConfidenceRisePoints: 10, minAnswers: 200 } as const;
export const ENDPOINT_LIFECYCLE_ENVIRONMENT = contract(
  [],
  ["POLL_INTERVAL_SECONDS", "SAFETY_MARGIN_SECONDS", "ACTIVE_HOURS"],
);

type RequiredOf<C> = C extends Contract<infer R, string> ? R : never;
type OptionalOf<C> = C extends Contract<string, infer O> ? O : never;

/** What the stack sets: every required variable, optional ones where it has a value. */
export type EnvironmentValues<C> = Record<RequiredOf<C>, string> & Partial<Record<OptionalOf<C>, string>>;

/** What the handler gets: required ones as strings, optional ones possibly undefined. */
export type Environment<C> = Readonly<Record<RequiredOf<C>, string> & Partial<Record<OptionalOf<C>, string>>>;

export function environmentFor<C extends Contract<string, string>>(
  _contract: C,
  values: EnvironmentValues<C>,
): Record<string, string> {
  return values as Record<string, string>;
}

/** Raised at cold start when the function's environment lacks a setting the stack should have provided. */
/** A comma-separated list, as the stacks join them and the CLIs take them: items trimmed, empty ones dropped. */
export function splitList(value: string): string[] {
  return value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

export class EnvironmentError extends Error {
  override readonly name = "EnvironmentError";
}

/** Reads the contract's variables at once, so a misconfigured function names every missing one. */
export function readEnvironment<C extends Contract<string, string>>(
  contract: C,
  env: Readonly<Record<string, string | undefined>>,
): Environment<C> {
  const missing = contract.required.filter((name) => !env[name]?.trim());
  if (missing.length > 0) {
    throw new EnvironmentError(`Missing required environment variable(s): ${missing.join(", ")}`);
  }
  const read = [...contract.required, ...contract.optional].flatMap((name) => {
    const value = env[name]?.trim();
    return value ? [[name, value] as const] : [];
  });
  return Object.fromEntries(read) as Environment<C>;
}

/** Defaults shared by the stack's variables, the ETL function and `npm run etl`. */
export const ETL_DEFAULTS = {
  minDocsPerLabel: 50,
  /** Share of each label held out as the fixed test set (Comprehend's own split is 10%, random each time). */
  testShare: 0.1,
  maxDocBytes: 10000,
  csvLabelColumn: "assignment_group",
  csvTextColumns: ["short_description", "description"],
} as const;

/**
 * Documents the ETL function's baseline evaluation samples: about half a minute on the function's cores, well
 * inside its 15 minutes after the ETL itself. 0 turns the baseline off.
 */
export const DEFAULT_BASELINE_MAX_DOCUMENTS = 50_000;

/** Comprehend's published price for custom model training in us-east-1 at the time of writing (USD/hour). */
export const DEFAULT_TRAINING_PRICE_PER_HOUR = 3;
