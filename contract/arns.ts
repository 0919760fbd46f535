/**
 * ARN shapes that the stacks (variable validation), the functions and the scripts all check. One pattern,
 * read by Terraform's regex() (RE2) and by JavaScript alike.
 */

/**
 * A document classifier ARN, with or without a version: partition, Region, account, name, version. Names and
 * versions follow Comprehend's pattern (letters, digits, inner hyphens).
 */
export const CLASSIFIER_ARN_PATTERN =
  "^arn:(aws[a-z-]*):comprehend:([a-z0-9-]+):([0-9]{12}):document-classifier/([a-zA-Z0-9](?:-*[a-zA-Z0-9])*)(?:/version/([a-zA-Z0-9](?:-*[a-zA-Z0-9])*))?$";

const CLASSIFIER_ARN = new RegExp(CLASSIFIER_ARN_PATTERN);

/** Comprehend's limit on classifier and version names. */
export const COMPREHEND_NAME_MAX_LENGTH = 63;

export interface ClassifierArnParts {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly name: string;
  readonly version?: string | undefined;
}

export function parseClassifierArn(arn: string): ClassifierArnParts | undefined {
  const match = CLASSIFIER_ARN.exec(arn);
  if (!match) return undefined;
  const [, partition, region, account, name, version] = match;
  if (!partition || !region || !account || !name) return undefined;
  if (name.length > COMPREHEND_NAME_MAX_LENGTH || (version?.length ?? 0) > COMPREHEND_NAME_MAX_LENGTH)
    return undefined;
  return { partition, region, account, name, version };
}

export function isClassifierArn(value: string): boolean {
  return parseClassifierArn(value) !== undefined;
}

/** A versioned classifier's ARN is `.../document-classifier/<name>/version/<version>`. */
export function classifierArn(parts: ClassifierArnParts): string {
  const base = `arn:${parts.partition}:comprehend:${parts.region}:${parts.account}:document-classifier/${parts.name}`;
  return parts.version ? `${base}/version/${parts.version}` : base;
}

/**
 * Between the app's name prefix and a run id in a classifier's name. Prefixes may not contain it (the
 * name_prefix variable's validation), so `<prefix>--` begins the names of this app's classifiers and of no other
 * deployment's: `itsr-dev--run` is not `itsr`'s, though `itsr-*` would match it. Exact ownership, expressible as
 * an IAM resource pattern (`document-classifier/<prefix>--*`).
 */
export const OWNED_NAME_SEPARATOR = "--";

/** The start of every classifier name this app gives, for names and IAM resource patterns alike. */
export function ownedNamePrefix(namePrefix: string): string {
  return `${namePrefix}${OWNED_NAME_SEPARATOR}`;
}
