/**
 * Asking for the next version of the served model: `npm run retrain` (or the corrections count reaching
 * retrain_after_corrections) writes a request under retrain_input/, and the ETL function builds the retraining
 * set from it. The request names the served classifier: its documents are the base and its name is the one the
 * new version joins.
 */
import { DATA_PREFIXES } from "./data-layout";

/**
 * The one command that serves a classifier: it writes the ARN into terraform.tfvars and deploys the inference
 * stack, which creates the endpoint or moves the running one to this model in place. Runs from the project root.
 * Promoting a new version is the same command: Terraform stays the owner of what the endpoint serves.
 */
export function deployCommand(arn: string): string {
  return `npm run deploy -- inference --classifier-arn ${arn}`;
}

/** What an operator runs to ask for the next version of the served model. */
export const RETRAIN_COMMAND = "npm run retrain";

export interface RetrainRequest {
  /** The classifier (with its version) the endpoint serves: what the new version is compared with. */
  readonly served_classifier_arn: string;
  readonly requested_at: string;
  readonly requested_by: "operator" | "corrections";
  /** For an automatic request: the new corrections that triggered it. */
  readonly new_corrections?: number;
}

/**
 * How a retraining's run id begins: the ETL names a run after its request's file, and every request is
 * `retrain-...json`. A classifier version whose name begins so is a retraining's, named by its run.
 */
export const RETRAIN_RUN_PREFIX = "retrain-";

/** One request a second at most: its time names it, and so the run the ETL makes of it. */
export function retrainRequestKey(requestedAt: Date): string {
  const stamp = requestedAt.toISOString().slice(0, 19).replace(/[-:]/g, "").replace("T", "-");
  return `${DATA_PREFIXES.retrainInput}${RETRAIN_RUN_PREFIX}${stamp}.json`;
}

export function isRetrainRequestKey(key: string): boolean {
  return key.startsWith(DATA_PREFIXES.retrainInput) && key.endsWith(".json");
}
