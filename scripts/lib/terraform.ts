/**
 * How the project's scripts run Terraform: the binary cdktf would use (TERRAFORM_BINARY_NAME, so one wrapper
 * serves both), one clear message when it is missing, and Terraform's errors without the box drawing.
 */
import { type SpawnSyncOptions, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const INSTALL_TERRAFORM =
  "install Terraform 1.10 or later (https://developer.hashicorp.com/terraform/install) and put it on PATH";

export class TerraformError extends Error {
  override readonly name = "TerraformError";
}

export function terraformBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.TERRAFORM_BINARY_NAME?.trim() || "terraform";
}

export interface TerraformResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

function startError(binary: string, args: readonly string[], error: Error): TerraformError {
  const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
  return new TerraformError(
    missing
      ? `"${binary}" was not found: ${INSTALL_TERRAFORM}`
      : `terraform ${args[0]} could not start: ${error.message}`,
    { cause: error },
  );
}

/** Runs Terraform and captures its output; throws only when it cannot start. */
export function captureTerraform(
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): TerraformResult {
  const env = options.env ?? process.env;
  const binary = terraformBinary(env);
  const spawnOptions: SpawnSyncOptions = { cwd: options.cwd, env, encoding: "utf8", maxBuffer: 1 << 29 };
  const result = spawnSync(binary, args, spawnOptions);
  if (result.error) throw startError(binary, args, result.error);
  return { status: result.status ?? 1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** The same, asynchronously, so that independent stacks can be planned side by side. */
export function captureTerraformAsync(
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<TerraformResult> {
  const env = options.env ?? process.env;
  const binary = terraformBinary(env);
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { cwd: options.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", (error) => reject(startError(binary, args, error)));
    child.on("close", (code) =>
      resolve({
        status: code ?? 1,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      }),
    );
  });
}

/** Runs Terraform on the user's terminal (prompts and colours included) and returns its exit code. */
export function runTerraformInteractive(
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): number {
  const env = options.env ?? process.env;
  const binary = terraformBinary(env);
  const result = spawnSync(binary, args, { cwd: options.cwd, env, stdio: "inherit" });
  if (result.error) throw startError(binary, args, result.error);
  return result.status ?? 1;
}

/** Terraform's "Error:" lines without the box drawing around them; warnings are noise here. */
export function terraformErrors(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((line) => line.replace(/^[\s│╷╵]+/, "").trim())
    .filter(Boolean);
  const errors = lines.filter((line) => line.startsWith("Error:"));
  return (errors.length > 0 ? errors : lines.slice(0, 3)).join(" ");
}

const INIT_MARKER = join(".terraform", "init-inputs.sha256");

/** What `terraform init` depends on in a synthesized stack: its backend, its providers, and the CLI settings. */
function initInputs(dir: string, env: NodeJS.ProcessEnv): string {
  const config = JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8")) as {
    terraform?: { backend?: unknown; required_providers?: unknown };
  };
  return createHash("sha256")
    .update(
      JSON.stringify({
        backend: config.terraform?.backend ?? null,
        providers: config.terraform?.required_providers ?? null,
        binary: terraformBinary(env),
        cliConfig: env.TF_CLI_CONFIG_FILE ?? null,
      }),
    )
    .digest("hex");
}

/**
 * `terraform init` in a stack's directory, unless the last successful init there was for the same backend,
 * providers and CLI settings (and its lock file and providers are still there): a deploy of three stacks ran
 * it once per stack per command, a second or more each, with nothing to do.
 */
export function initOnce(dir: string, env: NodeJS.ProcessEnv, run: (args: string[]) => number): number {
  const inputs = initInputs(dir, env);
  const marker = join(dir, INIT_MARKER);
  const current =
    existsSync(marker) &&
    readFileSync(marker, "utf8").trim() === inputs &&
    existsSync(join(dir, ".terraform.lock.hcl")) &&
    existsSync(join(dir, ".terraform", "providers"));
  if (current) return 0;
  const status = run(["init", "-input=false"]);
  if (status === 0) writeFileSync(marker, `${inputs}\n`);
  return status;
}
