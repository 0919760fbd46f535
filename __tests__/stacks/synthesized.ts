import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { synthFingerprint } from "../../scripts/lib/synthesized-stacks";
import type { StateBackendConfig } from "../../stacks/config";

/** A synthesized stack as Terraform reads it (cdk.tf.json). */
export interface StackJson {
  terraform: { backend: Record<string, Record<string, unknown>> };
  variable: Record<string, { type: string; description?: string; default?: unknown; validation?: unknown[] }>;
  output: Record<string, { value: unknown; description?: string }>;
  resource: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
}

export interface SynthesizedApp {
  readonly outdir: string;
  readonly stacks: Record<string, StackJson>;
  readonly manifest: { stacks: Record<string, { dependencies: string[]; synthesizedStackPath: string }> };
}

const root = join(__dirname, "..", "..");

/**
 * Synthesizes the whole app into a temp dir, as `npm run synth` does into cdktf.out. A synth of the same sources
 * and backend is shared between test files (keyed by the digest `npm run synth` records, see
 * scripts/lib/synthesized-stacks.ts): a dozen files each loading the provider's classes cost half a minute.
 */
export function synthesizeApp(backend: StateBackendConfig = { kind: "local" }): SynthesizedApp {
  const key = createHash("sha256")
    .update(synthFingerprint(root, {}))
    .update(JSON.stringify(backend))
    .digest("hex")
    .slice(0, 16);
  const shared = join(tmpdir(), `cdktf-test-synth-${key}`);
  const outdir = existsSync(join(shared, "manifest.json")) ? shared : synthesizeInto(shared, backend);
  const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8"));
  const stacks: Record<string, StackJson> = {};
  for (const [name, stack] of Object.entries(manifest.stacks as SynthesizedApp["manifest"]["stacks"])) {
    stacks[name] = JSON.parse(readFileSync(join(outdir, stack.synthesizedStackPath), "utf8"));
  }
  return { outdir, stacks, manifest };
}

function synthesizeInto(shared: string, backend: StateBackendConfig): string {
  // Loaded only when a synth is needed: importing the stacks loads the provider's classes, seconds of a test.
  const { App } = require("cdktf") as typeof import("cdktf");
  const { composeStacks } = require("../../stacks/index") as typeof import("../../stacks/index");
  const outdir = mkdtempSync(join(tmpdir(), "cdktf-test-"));
  const app = new App({ outdir, skipValidation: false });
  composeStacks(app, backend);
  app.synth();
  try {
    // Complete before it is visible: a file running beside this one takes the shared synth whole or not at all.
    renameSync(outdir, shared);
    return shared;
  } catch {
    return outdir;
  }
}

/** Every resource of a type, as [logical name, config] pairs. */
export function resourcesOf(stack: StackJson, type: string): [string, Record<string, unknown>][] {
  return Object.entries(stack.resource[type] ?? {});
}

/** The one resource of a type; fails the test when the stack has none or several. */
export function onlyResource(stack: StackJson, type: string): Record<string, unknown> {
  const resources = resourcesOf(stack, type);
  if (resources.length !== 1) throw new Error(`expected exactly one ${type}, found ${resources.length}`);
  return (resources[0] as [string, Record<string, unknown>])[1];
}

export function dataOf(stack: StackJson, type: string): [string, Record<string, unknown>][] {
  return Object.entries(stack.data?.[type] ?? {});
}

export interface PolicyStatement {
  sid?: string;
  effect?: string;
  principals?: { type: string; identifiers: string[] }[];
  actions?: string[];
  resources?: string[];
  condition?: { test: string; variable: string; values: string[] }[];
}

/** All IAM policy statements in a stack, written as aws_iam_policy_document data sources. */
export function policyStatements(stack: StackJson): { document: string; statement: PolicyStatement }[] {
  return dataOf(stack, "aws_iam_policy_document").flatMap(([document, config]) =>
    ((config.statement as PolicyStatement[] | undefined) ?? []).map((statement) => ({ document, statement })),
  );
}

/** The logical name a `${type.name.attr}` reference points at. */
export function referencedName(reference: unknown): string | undefined {
  return typeof reference === "string"
    ? /\$\{(?:data\.)?[a-z0-9_]+\.([A-Za-z0-9_]+)\./.exec(reference)?.[1]
    : undefined;
}
