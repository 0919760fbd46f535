/**
 * Scoring a trained model on its run's test documents: a bounded, stratified sample classified by an
 * asynchronous job (per character, no endpoint), from which the per-label routing thresholds come and, for a
 * new version, the comparison with the served one on the identical documents. The batch function starts and
 * finishes the jobs; the classify function, the batch results and `npm run status` read what they wrote.
 */
import { createHash } from "node:crypto";

export const SCORING_DEFAULTS = {
  /** auto_route_precision: answers of a label route themselves from the score where it is this often right. */
  autoRoutePrecision: 0.9,
  /** threshold_sample_documents: at most this many test documents are scored per model. */
  sampleDocuments: 5000,
} as const;

/** Which model a scoring job is for: the run's new model, or the one served when it was trained. */
export type ScoringRole = "new" | "served";

/** A scoring job's batch id: short enough for Comprehend's ClientRequestToken (64), fixed by run and role. */
export function scoringBatchId(runId: string, role: ScoringRole): string {
  return `score-${createHash("sha256").update(runId).digest("hex").slice(0, 12)}-${role}`;
}

/** Written beside a scoring job's documents: what the batch finish needs to score instead of report. */
export interface ScoringJob {
  readonly run_id: string;
  readonly role: ScoringRole;
  readonly classifier_arn: string;
  /** The true label of each input line. */
  readonly labels: readonly string[];
  readonly target_precision: number;
  /** The other role's job when two models are compared on the same documents. */
  readonly compare_with?: ScoringRole;
  /** Test documents the served model was trained on (moved in by the retraining): said beside the comparison. */
  readonly served_trained_on?: number;
}

/** What the classify function and the batch results read: reports/<run>/routing.json. */
export interface RoutingThresholds {
  readonly classifier_arn: string;
  readonly target_precision: number;
  readonly sample_documents: number;
  readonly coverage: number;
  readonly labels: Readonly<
    Record<string, { readonly threshold: number | null; readonly coverage: number; readonly answers: number }>
  >;
}
