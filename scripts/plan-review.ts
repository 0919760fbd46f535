/**
 * The plan review: for every synthesized stack, `terraform init`, `validate` and `plan`, then each plan as JSON
 * and one readable summary. Run after `npm run synth` (npm run plan does both).
 *
 * Offline mode (default) plans without an AWS account: each stack is copied to plan-review/<stack>/, an
 * override file adds test credentials and the provider's skip_* settings, swaps the backend for a local file,
 * and points terraform_remote_state at stub upstream states seeded from review/upstream-stubs.json.
 * `--online` plans the synthesized stacks in place against their real backend and account (the user's CI).
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { renderMarkdown, renderText, type StackPlanSummary, summarizePlan } from "./plan/summary";

const root = resolve(__dirname, "..");
const outDir = join(root, "cdktf.out");
const reviewDir = join(root, "plan-review");
const SHIPPED_MIRROR = "/opt/tf-plugins";
const SHIPPED_CLI_CONFIG = join(root, "terraform", "offline.tfrc");

export class PlanReviewError extends Error {
  override readonly name = "PlanReviewError";
}

interface SynthesizedStack {
  readonly name: string;
  readonly dir: string;
  readonly config: {
    output?: Record<string, unknown>;
    data?: { terraform_remote_state?: Record<string, { backend: string; config: unknown }> };
  };
}

interface Options {
  readonly online: boolean;
  readonly stacks: readonly string[] | undefined;
  readonly varFile: string;
}

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Options {
  let online = false;
  let stacks: string[] | undefined;
  let varFile = env.TF_VAR_FILE ?? "";
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--online") online = true;
    else if (arg === "--stacks") stacks = (argv[++i] ?? "").split(",").filter(Boolean);
    else if (arg === "--var-file") varFile = argv[++i] ?? "";
    else
      throw new PlanReviewError(
        `Unknown argument "${arg}". Usage: plan-review [--online] [--stacks a,b] [--var-file f]`,
      );
  }
  if (!varFile) varFile = online ? "terraform.tfvars" : "terraform.tfvars.example";
  return { online, stacks, varFile: resolve(root, varFile) };
}

/** Stacks with each one after the stacks it depends on, so upstream plans come first. */
export function readSynthesizedStacks(dir = outDir): SynthesizedStack[] {
  const manifestPath = join(dir, "manifest.json");
  if (!existsSync(manifestPath))
    throw new PlanReviewError(`${manifestPath} not found: run npm run synth first`);
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as {
    stacks: Record<
      string,
      { name: string; workingDirectory: string; synthesizedStackPath: string; dependencies: string[] }
    >;
  };
  const stacks = dependencyOrder(Object.values(manifest.stacks));
  return stacks.map((stack) => ({
    name: stack.name,
    dir: join(dir, stack.workingDirectory),
    config: JSON.parse(readFileSync(join(dir, stack.synthesizedStackPath), "utf8")),
  }));
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
      throw new PlanReviewError(
        `stack dependencies form a cycle or name a missing stack: ${pending.map((s) => s.name).join(", ")}`,
      );
    }
    const [stack] = pending.splice(ready, 1) as [T];
    ordered.push(stack);
    placed.add(stack.name);
  }
  return ordered;
}

type StubOutputs = Record<string, Record<string, unknown>>;

function terraformType(value: unknown): unknown {
  if (Array.isArray(value)) return ["list", value.length > 0 ? terraformType(value[0]) : "string"];
  if (typeof value === "number") return "number";
  if (typeof value === "boolean") return "bool";
  return "string";
}

/** A minimal state file (format 4) holding only outputs, which is all terraform_remote_state reads. */
export function stubState(outputs: Record<string, unknown>): string {
  return `${JSON.stringify(
    {
      version: 4,
      terraform_version: "1.11.4",
      serial: 1,
      lineage: "offline-plan-review-stub",
      outputs: Object.fromEntries(
        Object.entries(outputs).map(([name, value]) => [name, { value, type: terraformType(value) }]),
      ),
      resources: [],
      check_results: null,
    },
    null,
    2,
  )}\n`;
}

/** The override that lets a stack plan with no account, no credentials and no upstream deployment. */
export function offlineOverride(stack: SynthesizedStack, upstreamStatePaths: Record<string, string>) {
  const remoteStates = stack.config.data?.terraform_remote_state ?? {};
  return {
    terraform: { backend: { local: { path: "terraform.tfstate" } } },
    provider: {
      aws: {
        access_key: "AKIAOFFLINEPLANREVIEW",
        secret_key: "offline-plan-review-not-a-secret",
        skip_credentials_validation: true,
        skip_requesting_account_id: true,
        skip_metadata_api_check: true,
        skip_region_validation: true,
      },
    },
    ...(Object.keys(remoteStates).length > 0 && {
      data: {
        terraform_remote_state: Object.fromEntries(
          Object.keys(remoteStates).map((name) => {
            const path = upstreamStatePaths[name];
            if (!path) throw new PlanReviewError(`${stack.name}: no stub state for remote state "${name}"`);
            return [name, { backend: "local", config: { path } }];
          }),
        ),
      },
    }),
  };
}

/** Remote-state data sources are named `<upstream>_state` by AppStack.upstreamState. */
export function upstreamOf(remoteStateName: string): string {
  return remoteStateName.replace(/_state$/, "");
}

export function seedStubStates(
  stack: SynthesizedStack,
  all: readonly SynthesizedStack[],
  stubs: StubOutputs,
  workDir: string,
): Record<string, string> {
  const paths: Record<string, string> = {};
  for (const name of Object.keys(stack.config.data?.terraform_remote_state ?? {})) {
    const upstream = upstreamOf(name);
    const declared = Object.keys(all.find((s) => s.name === upstream)?.config.output ?? {});
    const stub = stubs[upstream];
    if (!stub)
      throw new PlanReviewError(`review/upstream-stubs.json has no outputs for upstream stack "${upstream}"`);
    const missing = declared.filter((output) => !(output in stub));
    if (missing.length > 0) {
      throw new PlanReviewError(
        `review/upstream-stubs.json lacks ${upstream} output(s) ${missing.join(", ")}: add stub values for them`,
      );
    }
    const file = `upstream-${upstream}.tfstate`;
    writeFileSync(join(workDir, file), stubState(stub));
    paths[name] = file;
  }
  return paths;
}

export function terraform(args: string[], cwd: string, env: NodeJS.ProcessEnv, log: string[]): string {
  const result = spawnSync("terraform", args, { cwd, env, encoding: "utf8", maxBuffer: 512 * 1024 * 1024 });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === "ENOENT";
    throw new PlanReviewError(
      missing
        ? "terraform is not installed or not on PATH: install Terraform >= 1.10 (these machines have 1.11.4 at /usr/local/bin)"
        : `terraform ${args[0]} could not start: ${result.error.message}`,
      { cause: result.error },
    );
  }
  log.push(`$ terraform ${args.join(" ")}`, result.stdout, result.stderr);
  if (result.status !== 0) {
    throw new PlanReviewError(`terraform ${args[0]} failed in ${cwd}:\n${result.stderr || result.stdout}`);
  }
  return result.stdout;
}

/** The shipped CLI config, pointed at another mirror directory. */
function mirrorCliConfig(mirror: string): string {
  const path = join(reviewDir, "offline.tfrc");
  mkdirSync(reviewDir, { recursive: true });
  writeFileSync(
    path,
    readFileSync(SHIPPED_CLI_CONFIG, "utf8").replace(`"${SHIPPED_MIRROR}"`, JSON.stringify(mirror)),
  );
  return path;
}

export function terraformEnv(online: boolean, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const next: NodeJS.ProcessEnv = { ...env, TF_IN_AUTOMATION: "1", TF_INPUT: "0", CHECKPOINT_DISABLE: "1" };
  next.TF_PLUGIN_CACHE_DIR ??= join(reviewDir, ".plugin-cache");
  mkdirSync(next.TF_PLUGIN_CACHE_DIR, { recursive: true });
  // A CLI config named but absent (as on these machines) is as good as none.
  const ownConfig = env.TF_CLI_CONFIG_FILE && existsSync(env.TF_CLI_CONFIG_FILE);
  const mirror = env.TF_PROVIDER_MIRROR ?? SHIPPED_MIRROR;
  if (!online && !ownConfig && existsSync(mirror)) {
    next.TF_CLI_CONFIG_FILE = mirror === SHIPPED_MIRROR ? SHIPPED_CLI_CONFIG : mirrorCliConfig(mirror);
  }
  return next;
}

function planStack(
  stack: SynthesizedStack,
  all: readonly SynthesizedStack[],
  options: Options,
): StackPlanSummary {
  const env = terraformEnv(options.online);
  const log: string[] = [];
  let workDir = stack.dir;
  if (!options.online) {
    workDir = join(reviewDir, stack.name);
    rmSync(workDir, { recursive: true, force: true });
    cpSync(stack.dir, workDir, {
      recursive: true,
      filter: (src) => !src.includes(`${join(stack.dir, ".terraform")}`),
    });
    const stubs = JSON.parse(
      readFileSync(join(root, "review", "upstream-stubs.json"), "utf8"),
    ) as StubOutputs;
    const paths = seedStubStates(stack, all, stubs, workDir);
    writeFileSync(
      join(workDir, "zz_offline_override.tf.json"),
      JSON.stringify(offlineOverride(stack, paths), null, 2),
    );
  }
  try {
    terraform(["init", "-input=false", "-no-color"], workDir, env, log);
    terraform(["validate", "-no-color"], workDir, env, log);
    terraform(
      ["plan", "-input=false", "-no-color", "-lock=false", `-var-file=${options.varFile}`, "-out=tfplan"],
      workDir,
      env,
      log,
    );
    const planJson = terraform(["show", "-json", "tfplan"], workDir, env, log);
    mkdirSync(reviewDir, { recursive: true });
    writeFileSync(join(reviewDir, `${stack.name}.plan.json`), planJson);
    return summarizePlan(stack.name, JSON.parse(planJson));
  } finally {
    mkdirSync(reviewDir, { recursive: true });
    writeFileSync(join(reviewDir, `${stack.name}.terraform.log`), log.join("\n"));
  }
}

function main(): void {
  const options = parseArgs(process.argv.slice(2));
  if (!existsSync(options.varFile)) throw new PlanReviewError(`variables file ${options.varFile} not found`);
  const all = readSynthesizedStacks();
  const selected = options.stacks ? all.filter((s) => options.stacks?.includes(s.name)) : all;
  const unknown = (options.stacks ?? []).filter((name) => !all.some((s) => s.name === name));
  if (unknown.length > 0) throw new PlanReviewError(`unknown stack(s): ${unknown.join(", ")}`);

  const machine = options.online
    ? "online (real backend and account)"
    : "offline (stub credentials and upstream state)";
  console.log(`plan review, ${machine}: ${selected.map((s) => s.name).join(", ")}`);
  const summaries: StackPlanSummary[] = [];
  for (const stack of selected) {
    const started = performance.now();
    const summary = planStack(stack, all, options);
    summaries.push(summary);
    console.log(`  ${renderText(summary)} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
  const markdown = renderMarkdown(summaries);
  writeFileSync(join(reviewDir, "summary.md"), markdown);
  writeFileSync(join(reviewDir, "summary.json"), `${JSON.stringify(summaries, null, 2)}\n`);
  console.log(`\n${markdown}\nplans: plan-review/<stack>.plan.json, summary: plan-review/summary.md`);
}

if (require.main === module) {
  try {
    main();
  } catch (error) {
    console.error(error instanceof PlanReviewError ? `plan review failed: ${error.message}` : error);
    process.exit(1);
  }
}
