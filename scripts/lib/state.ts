/**
 * The deployed stacks' outputs and resources, read from their Terraform state where the stacks keep it (a local
 * file next to the project, or the S3 backend): no synth, no `terraform init`, so `npm run status` answers in a
 * second and `npm run deploy` and `destroy` check the stacks around the named ones before changing anything.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { GetObjectCommand, NoSuchKey, S3Client } from "@aws-sdk/client-s3";
import { readBackendConfig, type StackName, type StateBackendConfig, s3StateKey } from "../../stacks/config";

export type StackOutputs = Record<string, unknown>;

export interface StateSource {
  /** The stack's outputs, or undefined when it has no state (never deployed, or destroyed). */
  outputs(stack: StackName): Promise<StackOutputs | undefined>;
  /** How many managed resources the stack's state holds (0 without state). */
  resourceCount(stack: StackName): Promise<number>;
  readonly description: string;
}

/** The parts of a state file (format 4) read here. */
interface StateFile {
  readonly outputs?: Record<string, { value: unknown }>;
  readonly resources?: readonly { mode?: string }[];
}

function outputsOf(state: StateFile | undefined): StackOutputs | undefined {
  const entries = Object.entries(state?.outputs ?? {});
  // A destroyed stack leaves a state file with no outputs behind.
  return entries.length === 0 ? undefined : Object.fromEntries(entries.map(([name, o]) => [name, o.value]));
}

function managedResources(state: StateFile | undefined): number {
  return (state?.resources ?? []).filter((resource) => resource.mode === "managed").length;
}

function stateSource(description: string, read: (stack: StackName) => Promise<StateFile | undefined>) {
  return {
    description,
    outputs: async (stack: StackName) => outputsOf(await read(stack)),
    resourceCount: async (stack: StackName) => managedResources(await read(stack)),
  } satisfies StateSource;
}

export function localStateSource(projectRoot: string): StateSource {
  return stateSource(`local state files in ${projectRoot}`, async (stack) => {
    const path = join(projectRoot, `terraform.${stack}.tfstate`);
    return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as StateFile) : undefined;
  });
}

export function s3StateSource(
  s3: S3Client,
  config: Extract<StateBackendConfig, { kind: "s3" }>,
): StateSource {
  return stateSource(`s3://${config.bucket}/${config.keyPrefix}/`, async (stack) => {
    try {
      const object = await s3.send(
        new GetObjectCommand({ Bucket: config.bucket, Key: s3StateKey(config, stack) }),
      );
      return JSON.parse((await object.Body?.transformToString("utf8")) ?? "{}") as StateFile;
    } catch (error) {
      if (error instanceof NoSuchKey || (error as Error).name === "NoSuchKey") return undefined;
      throw error;
    }
  });
}

/** Where this project's stacks keep state, as the synth does: the S3 backend when TF_STATE_BUCKET is set. */
export function projectStateSource(projectRoot: string, env: NodeJS.ProcessEnv = process.env): StateSource {
  const backend = readBackendConfig(env);
  return backend.kind === "s3"
    ? s3StateSource(new S3Client({ region: backend.region }), backend)
    : localStateSource(projectRoot);
}

const CREDENTIAL_ERRORS = new Set([
  "CredentialsProviderError",
  "ExpiredToken",
  "ExpiredTokenException",
  "InvalidClientTokenId",
  "UnrecognizedClientException",
]);

/** The one line to print when AWS credentials are missing or stale; undefined for any other error. */
export function credentialProblem(error: unknown): string | undefined {
  const { name, message } = error as Error;
  return CREDENTIAL_ERRORS.has(name)
    ? `No usable AWS credentials (${name}: ${message}). Set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, for the account the stacks are deployed in.`
    : undefined;
}

/** A command's `explain` for missing or expired credentials: the one line above, exit 2. */
export function explainCredentials(error: unknown): { message: string; exitCode: number } | undefined {
  const message = credentialProblem(error);
  return message ? { message, exitCode: 2 } : undefined;
}
