/**
 * The app's functions by role, and the names they get: the stacks create them, the dashboard (in the inference
 * stack) charts the pipeline's errors by name, and the docs' log commands use the same names.
 */
export const APP_FUNCTIONS = {
  etl: "etl",
  train: "train",
  notify: "notify",
  batch: "batch",
  classify: "classify",
  corrections: "corrections",
  endpointLifecycle: "endpoint-lifecycle",
  driftCheck: "drift-check",
} as const;

export type AppFunction = keyof typeof APP_FUNCTIONS;

export function functionName(namePrefix: string, role: AppFunction): string {
  return `${namePrefix}-${APP_FUNCTIONS[role]}`;
}
