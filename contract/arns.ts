/**
 * ARN shapes that the stacks (variable validation), the functions and the scripts all check. Plain strings
 * and RegExps, no dependencies: Terraform's regex() and JavaScript read the same pattern.
 */

/** A document classifier ARN, with or without a version (Comprehend's name pattern for both parts). */
export const CLASSIFIER_ARN_PATTERN =
  "^arn:aws[a-z-]*:comprehend:[a-z0-9-]+:[0-9]{12}:document-classifier/[a-zA-Z0-9-]{1,63}(/version/[a-zA-Z0-9-]{1,63})?$";

export function isClassifierArn(value: string): boolean {
  return new RegExp(CLASSIFIER_ARN_PATTERN).test(value);
}
