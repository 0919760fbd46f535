/**
 * Where a run's files live in the data bucket: the prefixes (IAM grants and notifications are scoped to them)
 * and, for one run, every key derived from them. The ETL writes these, the train and notify functions and
 * `npm run status` read them, the stacks grant them; all through this module.
 */

export const DATA_PREFIXES = {
  raw: "raw_data/",
  prepped: "prepped_data/",
  reports: "reports/",
  output: "output_data/",
  /** Ticket exports to classify in a batch job (no endpoint needed). */
  batchInput: "batch_input/",
  /** A batch's documents, job marker, Comprehend's output and the results CSV. */
  batchOutput: "batch_output/",
  /** Tickets the model was unsure about, waiting for a person (expired after review_retention_days). */
  reviewQueue: "review/queue/",
  /** What people said the label is: one JSON object per correction (JSON Lines for an imported export). */
  corrections: "corrections/",
  /** Ticket exports with the label agents finally gave (the weekly export of closed tickets) to import. */
  correctionsInput: "corrections_input/",
  /** Requests for the next version of the served model, from `npm run retrain` or the corrections count. */
  retrainInput: "retrain_input/",
} as const;

export type DataPrefixes = { readonly [K in keyof typeof DATA_PREFIXES]: string };

/** A prefix as S3 keys need it: no leading "/", one trailing "/". Names the setting when it is not. */
export function checkPrefix(name: string, value: string): string | undefined {
  return value === "" || value.startsWith("/") || !value.endsWith("/") || value.includes("//")
    ? `${name} must be a key prefix such as "${DATA_PREFIXES.reports}" (no leading "/", one trailing "/"), got "${value}"`
    : undefined;
}

/** The scoring email's marker, by name: the batch function may delete exactly these. */
export const SCORING_EMAILED_FILE = "scoring-emailed.json";

export interface RunLayout {
  /** Comprehend's training input: every CSV of the run under it. */
  readonly trainingDataPrefix: string;
  /** The fixed test set (InputDataConfig.TestS3Uri): beside the training prefix, not under it. */
  readonly testDataKey: string;
  readonly reportKey: string;
  /** Written instead of a report when the upload is unusable; stops a redelivery from emailing again. */
  readonly rejectedKey: string;
  /** Comprehend writes `<account>-CLR-<job>/output/output.tar.gz` under it. */
  readonly outputPrefix: string;
  /** The local baseline the ETL trains before Comprehend does: metrics, page and heat map. */
  readonly baseline: {
    readonly json: string;
    readonly html: string;
    readonly svg: string;
    /** Written before the baseline runs: a retry after a killed attempt skips it instead of repeating it. */
    readonly attempted: string;
  };
  /** The trained model's report from Comprehend's own confusion matrix, beside the baseline's. */
  readonly model: { readonly json: string; readonly html: string };
  /** The model scored on a sample of the test documents (contract/scoring.ts). */
  readonly scoring: {
    /** Each scored model's answers and figures on the sample, by role. */
    readonly scores: (role: string) => string;
    /** The per-label thresholds at auto_route_precision: what the API and the batch results route by. */
    readonly routing: string;
    /** A new version beside the served one, on the same documents. */
    readonly comparison: string;
    readonly comparisonHtml: string;
    /** Written (conditionally) before the scoring email, so that two jobs finishing together send one. */
    readonly emailed: string;
  };
}

export function runLayout(
  prefixes: Pick<DataPrefixes, "prepped" | "reports" | "output">,
  runId: string,
): RunLayout {
  return {
    trainingDataPrefix: `${prefixes.prepped}${runId}/`,
    testDataKey: `${prefixes.prepped}${runId}.test.csv`,
    reportKey: `${prefixes.reports}${runId}/report.json`,
    rejectedKey: `${prefixes.reports}${runId}/rejected.json`,
    outputPrefix: `${prefixes.output}${runId}/`,
    baseline: {
      json: `${prefixes.reports}${runId}/evaluation.json`,
      html: `${prefixes.reports}${runId}/evaluation.html`,
      svg: `${prefixes.reports}${runId}/confusion-matrix.svg`,
      attempted: `${prefixes.reports}${runId}/baseline-attempted.json`,
    },
    model: {
      json: `${prefixes.reports}${runId}/comprehend-evaluation.json`,
      html: `${prefixes.reports}${runId}/comprehend-evaluation.html`,
    },
    scoring: {
      scores: (role) => `${prefixes.reports}${runId}/scores-${role}.json`,
      routing: `${prefixes.reports}${runId}/routing.json`,
      comparison: `${prefixes.reports}${runId}/comparison.json`,
      comparisonHtml: `${prefixes.reports}${runId}/comparison.html`,
      emailed: `${prefixes.reports}${runId}/${SCORING_EMAILED_FILE}`,
    },
  };
}

export interface BatchLayout {
  /** The tickets as Comprehend reads them: one document per line. */
  readonly documents: string;
  /** Which ticket id each line stands for. */
  readonly ids: string;
  /** Written once the job started: a duplicate delivery of the upload starts no second job. */
  readonly job: string;
  /** Written instead when the upload is unusable. */
  readonly rejected: string;
  /** Comprehend writes `<account>-CLN-<job id>/output/output.tar.gz` under it. */
  readonly output: string;
  readonly results: string;
  /** Written after the "classified" email went out: a redelivered output event emails no second time. */
  readonly finished: string;
  /** Written once a failed or stopped job was emailed: the scheduled check reports each job once. */
  readonly failureReported: string;
  /** Present for a job that scores a model on known labels (contract/scoring.ts ScoringJob). */
  readonly scoring: string;
}

export function batchLayout(prefixes: Pick<DataPrefixes, "batchOutput">, batchId: string): BatchLayout {
  const base = `${prefixes.batchOutput}${batchId}/`;
  return {
    documents: `${base}input/documents.txt`,
    ids: `${base}input/ids.json`,
    job: `${base}job.json`,
    rejected: `${base}rejected.json`,
    output: `${base}output/`,
    results: `${base}results.csv`,
    finished: `${base}finished.json`,
    failureReported: `${base}failure-reported.json`,
    scoring: `${base}scoring.json`,
  };
}

/** The batch id in a key under the batch output prefix, or undefined. */
export function batchIdOfKey(batchOutputPrefix: string, key: string): string | undefined {
  if (!key.startsWith(batchOutputPrefix)) return undefined;
  const id = key.slice(batchOutputPrefix.length).split("/")[0];
  return id || undefined;
}

/** A run id: the upload's name (at most RUN_SLUG_MAX_LENGTH) and a 12-hex-digit hash of key and version. */
export const RUN_HASH_LENGTH = 12;
export const RUN_SLUG_MAX_LENGTH = 24;
/** Slug, hyphen, hash: the limit naming checks, derived rather than written twice. */
export const RUN_ID_MAX_LENGTH = RUN_SLUG_MAX_LENGTH + 1 + RUN_HASH_LENGTH;
