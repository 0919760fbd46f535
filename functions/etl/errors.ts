/**
 * The upload cannot become training data (not a zip or CSV, a damaged member, a missing table or column, no
 * usable label, a Comprehend limit exceeded). Retrying cannot fix it: the operator must upload other data.
 */
export class InputError extends Error {
  override readonly name = "InputError";
}
