/**
 * Wraps raw HCL in an interpolation for the JSON syntax cdktf writes; places such as variable validations
 * take expressions only in this form.
 */
export function hcl(expression: string): string {
  return `\${${expression}}`;
}

/** Validation that a number variable is a whole number within [min, max]. */
export function wholeNumberBetween(name: string, min: number, max: number, why?: string) {
  return {
    condition: hcl(`var.${name} >= ${min} && var.${name} <= ${max} && floor(var.${name}) == var.${name}`),
    errorMessage: `${name} must be a whole number from ${min} to ${max}${why ? ` (${why})` : ""}.`,
  };
}
