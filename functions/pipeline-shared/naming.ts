/**
 * Names of the Comprehend resources a run produces. The train function creates them and the notify function
 * finds them again, so both derive every name from the run id with these functions and nothing else.
 */
import {
  type ClassifierArnParts,
  classifierArn,
  OWNED_NAME_SEPARATOR,
  ownedNamePrefix,
  parseClassifierArn,
} from "../../contract/arns";
import { RUN_ID_MAX_LENGTH } from "../../contract/data-layout";
import { RETRAIN_RUN_PREFIX } from "../../contract/retraining";

/** Raised when a run id, prefix or name cannot become a valid Comprehend classifier name. */
export class NamingError extends Error {
  override readonly name = "NamingError";
}

// Comprehend's own pattern for classifier and version names: alphanumerics, inner hyphens only.
const COMPREHEND_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/;
const LOWER_NAME = /^[a-z0-9](-*[a-z0-9])*$/;

export { RUN_ID_MAX_LENGTH };
export const NAME_PREFIX_MAX_LENGTH = 16;
export const CLASSIFIER_NAME_MAX_LENGTH = 63;
export const CLIENT_REQUEST_TOKEN_MAX_LENGTH = 64;

/** Tags the pipeline puts on a classifier; `notified*` make the emails idempotent across redeliveries. */
export const TAG_RUN_ID = "run_id";
export const TAG_APP = "app";
export const TAG_STARTED_NOTIFIED = "started_notified";
export const TAG_NOTIFIED = "notified";
/** Tag on a backlog classification job: the batch it classifies. */
export const TAG_BATCH_ID = "batch_id";

/** A backlog job's name: what the scheduled check recognises this app's jobs by. */
export function batchJobName(namePrefix: string, batchId: string): string {
  return `${namePrefix}-${batchId}`;
}

export function assertRunId(runId: unknown): string {
  if (typeof runId !== "string" || runId.length === 0) {
    throw new NamingError("run_id is missing or not a string");
  }
  if (runId.length > RUN_ID_MAX_LENGTH || !LOWER_NAME.test(runId)) {
    throw new NamingError(
      `run_id "${runId}" must be 1-${RUN_ID_MAX_LENGTH} characters of [a-z0-9-], starting and ending with a letter or digit`,
    );
  }
  return runId;
}

export function assertNamePrefix(prefix: string): string {
  if (
    prefix.length > NAME_PREFIX_MAX_LENGTH ||
    !LOWER_NAME.test(prefix) ||
    prefix.includes(OWNED_NAME_SEPARATOR)
  ) {
    throw new NamingError(
      `NAME_PREFIX "${prefix}" must be 1-${NAME_PREFIX_MAX_LENGTH} characters of [a-z0-9-], starting and ending with a letter or digit, without "${OWNED_NAME_SEPARATOR}"`,
    );
  }
  return prefix;
}

export function classifierName(namePrefix: string, runId: string): string {
  const name = `${ownedNamePrefix(assertNamePrefix(namePrefix))}${assertRunId(runId)}`;
  if (name.length > CLASSIFIER_NAME_MAX_LENGTH || !COMPREHEND_NAME.test(name)) {
    throw new NamingError(
      `classifier name "${name}" is not a valid Comprehend name (at most 63 of [a-zA-Z0-9-])`,
    );
  }
  return name;
}

/** One version per run: the classifier name already identifies the run, the version makes the ARN stable. */
export function classifierVersionName(runId: string): string {
  return assertRunId(runId);
}

export function clientRequestToken(runId: string): string {
  const token = `train-${assertRunId(runId)}`;
  if (token.length > CLIENT_REQUEST_TOKEN_MAX_LENGTH) {
    throw new NamingError(
      `ClientRequestToken "${token}" exceeds ${CLIENT_REQUEST_TOKEN_MAX_LENGTH} characters`,
    );
  }
  return token;
}

/**
 * The run id inside a classifier name of this app, or undefined when the classifier is not ours: exactly the
 * names that begin with `<prefix>--` (see OWNED_NAME_SEPARATOR), never another deployment's whose prefix
 * extends ours.
 */
export function runIdFromClassifierName(namePrefix: string, name: string): string | undefined {
  const lead = ownedNamePrefix(namePrefix);
  if (!name.startsWith(lead)) return undefined;
  const runId = name.slice(lead.length);
  return runId.length > 0 && runId.length <= RUN_ID_MAX_LENGTH && LOWER_NAME.test(runId) ? runId : undefined;
}

export { type ClassifierArnParts, classifierArn, parseClassifierArn };

/** Partition and account of any ARN, e.g. the data access role or the topic the stack passes in. */
export function partitionAndAccount(arn: string): { partition: string; account: string } | undefined {
  const match = /^arn:([a-z0-9-]+):[a-z0-9-]+:[a-z0-9-]*:(\d{12}):.+$/.exec(arn);
  if (!match?.[1] || !match[2]) return undefined;
  return { partition: match[1], account: match[2] };
}

/**
 * The run a classifier of this app stands for: a retraining's version is named by its own run (whose id
 * starts with RETRAIN_RUN_PREFIX, from the request's key); any other version, such as `v-<hash>` of classifiers
 * trained before or made by hand, stands for the run in the classifier's name. Undefined for another
 * deployment's classifier.
 */
export function runOf(namePrefix: string, parts: ClassifierArnParts): string | undefined {
  const lineage = runIdFromClassifierName(namePrefix, parts.name);
  if (!lineage) return undefined;
  const version = parts.version;
  return version?.startsWith(RETRAIN_RUN_PREFIX) &&
    runIdFromClassifierName(namePrefix, `${namePrefix}--${version}`) === version
    ? version
    : lineage;
}
