/**
 * Wraps raw HCL in an interpolation for the JSON syntax cdktf writes; places such as variable validations
 * take expressions only in this form.
 */
export function hcl(expression: string): string {
  return `\${${expression}}`;
}
