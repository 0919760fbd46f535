/** The synthesized stacks as cdktf's manifest lists them, in dependency order. */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
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

/** Bundles the functions and synthesizes cdktf.out/, printing what the build prints. */
export function synthesize(env: NodeJS.ProcessEnv = process.env): void {
  const result = spawnSync("npm", ["run", "--silent", "synth"], { cwd: projectRoot, env, stdio: "inherit" });
  if (result.error || result.status !== 0) {
    throw new StackOrderError(
      `synth failed (npm run synth exited ${result.status ?? result.error?.message}); its output is above`,
    );
  }
}
