/**
 * Synth-time settings. Backends cannot read Terraform variables, so where state lives is chosen here, from the
 * environment of whoever synthesizes (a person or CI), not from tfvars.
 */
export const STACK_NAMES = ["data", "network", "training", "inference"] as const;
export type StackName = (typeof STACK_NAMES)[number];

export type StateBackendConfig =
  | { readonly kind: "local" }
  | { readonly kind: "s3"; readonly bucket: string; readonly region: string; readonly keyPrefix: string };

export class BackendConfigError extends Error {
  override readonly name = "BackendConfigError";
}

/**
 * TF_STATE_BUCKET selects the S3 backend (with S3-native locking); TF_STATE_REGION and TF_STATE_KEY_PREFIX
 * refine it. Without it, state stays in local files next to the project.
 */
export function readBackendConfig(env: NodeJS.ProcessEnv = process.env): StateBackendConfig {
  const bucket = env.TF_STATE_BUCKET?.trim();
  if (!bucket) return { kind: "local" };
  const region = env.TF_STATE_REGION?.trim() || env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim();
  if (!region) {
    throw new BackendConfigError(
      "TF_STATE_BUCKET is set but no region is: set TF_STATE_REGION (or AWS_REGION)",
    );
  }
  const keyPrefix = (env.TF_STATE_KEY_PREFIX?.trim() || "comprehend-itsr").replace(/\/+$/, "");
  return { kind: "s3", bucket, region, keyPrefix };
}

/** Local state files live in the project root; Terraform runs in cdktf.out/stacks/<stack>. */
export function localStatePath(stack: StackName): string {
  return `../../../terraform.${stack}.tfstate`;
}

export function s3StateKey(config: { keyPrefix: string }, stack: StackName): string {
  return `${config.keyPrefix}/${stack}.tfstate`;
}
