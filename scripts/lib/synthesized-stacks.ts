/** The synthesized stacks as cdktf's manifest lists them, in dependency order. */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { STACK_NAMES } from "../../stacks/config";

export const projectRoot = resolve(__dirname, "..", "..");
export const outDir = join(projectRoot, "cdktf.out");

export class StackOrderError extends Error {
  override readonly name = "StackOrderError";
}

export interface SynthesizedStack {
  readonly name: string;
  readonly dir: string;
  readonly dependencies: readonly string[];
  readonly config: {
    output?: Record<string, unknown>;
    variable?: Record<string, unknown>;
    data?: { terraform_remote_state?: Record<string, { backend: string; config: unknown }> } & Record<
      string,
      Record<string, unknown> | undefined
    >;
  };
}

interface ManifestStack {
  name: string;
  workingDirectory: string;
  synthesizedStackPath: string;
  dependencies: string[];
}

/** Stacks with each one after the stacks it depends on, so upstream stacks come first. */
export function readSynthesizedStacks(dir = outDir): SynthesizedStack[] {
  const manifestPath = join(dir, "manifest.json");
  if (!existsSync(manifestPath))
    throw new StackOrderError(`${manifestPath} not found: run npm run synth first`);
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as {
    stacks: Record<string, ManifestStack>;
  };
  // The manifest lists stacks alphabetically; among stacks ready at the same time, the app's own order wins.
  const byAppOrder = Object.values(manifest.stacks).sort((a, b) => appOrder(a.name) - appOrder(b.name));
  return dependencyOrder(byAppOrder).map((stack) => ({
    name: stack.name,
    dir: join(dir, stack.workingDirectory),
    dependencies: stack.dependencies,
    config: JSON.parse(readFileSync(join(dir, stack.synthesizedStackPath), "utf8")),
  }));
}

function appOrder(name: string): number {
  const index = (STACK_NAMES as readonly string[]).indexOf(name);
  return index < 0 ? STACK_NAMES.length : index;
}

export function dependencyOrder<T extends { name: string; dependencies: readonly string[] }>(
  stacks: readonly T[],
): T[] {
  const ordered: T[] = [];
  const placed = new Set<string>();
  const pending = [...stacks];
  while (pending.length > 0) {
    const ready = pending.findIndex((stack) =>
      stack.dependencies.every((dependency) => placed.has(dependency)),
    );
    if (ready < 0) {
      throw new StackOrderError(
        `stack dependencies form a cycle or name a missing stack: ${pending.map((s) => s.name).join(", ")}`,
      );
    }
    const [stack] = pending.splice(ready, 1) as [T];
    ordered.push(stack);
    placed.add(stack.name);
  }
  return ordered;
}

/** Every stack that depends on `name`, directly or through another stack. */
export function downstreamOf<T extends { name: string; dependencies: readonly string[] }>(
  stacks: readonly T[],
  name: string,
): T[] {
  const found = new Set<string>([name]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const stack of stacks) {
      if (!found.has(stack.name) && stack.dependencies.some((dependency) => found.has(dependency))) {
        found.add(stack.name);
        grew = true;
      }
    }
  }
  return stacks.filter((stack) => stack.name !== name && found.has(stack.name));
}

/** What a synth reads: the app, its stacks, the functions it bundles, and the locked dependencies. */
const SYNTH_INPUTS = ["main.ts", "cdktf.json", "package-lock.json", "contract", "stacks", "functions"];
/** Settings of the environment that the synth reads (the state backend, stacks/config.ts). */
const SYNTH_ENVIRONMENT = [
  "TF_STATE_BUCKET",
  "TF_STATE_REGION",
  "TF_STATE_KEY_PREFIX",
  "AWS_REGION",
  "AWS_DEFAULT_REGION",
];
const FINGERPRINT_FILE = ".synth-inputs.sha256";

/** The files of an input, a file or a folder (recursively), by path relative to the project, in a fixed order. */
function inputFiles(root: string, input: string): string[] {
  const path = join(root, input);
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [input];
  return readdirSync(path, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort();
}

/**
 * A digest of everything a synth depends on: the content of its inputs and the environment settings it reads.
 * Two synths with the same digest write the same cdktf.out/, so the second one can be skipped.
 */
export function synthFingerprint(root: string, env: NodeJS.ProcessEnv): string {
  const hash = createHash("sha256");
  for (const file of SYNTH_INPUTS.flatMap((input) => inputFiles(root, input))) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(join(root, file)));
    hash.update("\0");
  }
  for (const name of SYNTH_ENVIRONMENT) hash.update(`${name}=${env[name]?.trim() ?? ""}\0`);
  return hash.digest("hex");
}

/** Whether cdktf.out/ holds every stack of a synth with this digest. */
function isSynthesized(dir: string, fingerprint: string): boolean {
  const recorded = join(dir, FINGERPRINT_FILE);
  if (!existsSync(recorded) || readFileSync(recorded, "utf8").trim() !== fingerprint) return false;
  const manifestPath = join(dir, "manifest.json");
  if (!existsSync(manifestPath)) return false;
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as {
    stacks: Record<string, ManifestStack>;
  };
  return Object.values(manifest.stacks).every((stack) => existsSync(join(dir, stack.synthesizedStackPath)));
}

/**
 * Bundles the functions and synthesizes cdktf.out/, printing what the build prints; skipped when nothing the
 * synth reads changed since cdktf.out/ was written (the same sources and backend settings give the same
 * configuration), so commands run one after another share one synth.
 */
export function synthesize(
  env: NodeJS.ProcessEnv = process.env,
  root = projectRoot,
): "synthesized" | "reused" {
  const dir = join(root, "cdktf.out");
  const fingerprint = synthFingerprint(root, env);
  if (isSynthesized(dir, fingerprint)) return "reused";
  const result = spawnSync("npm", ["run", "--silent", "synth"], { cwd: root, env, stdio: "inherit" });
  if (result.error || result.status !== 0) {
    throw new StackOrderError(
      `synth failed (npm run synth exited ${result.status ?? result.error?.message}); its output is above`,
    );
  }
  writeFileSync(join(dir, FINGERPRINT_FILE), `${fingerprint}\n`);
  return "synthesized";
}
