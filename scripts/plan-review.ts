/**
 * The plan review: for every synthesized stack, `terraform init` and `plan`, then each plan as JSON and one
 * readable summary. `npm run plan` synthesizes first.
 *
 * Offline mode (default) plans without an AWS account: each stack is copied to plan-review/<stack>/, an
 * override file adds test credentials and the provider's skip_* settings, swaps the backend for a local file,
 * and points terraform_remote_state at stub upstream states seeded from review/upstream-stubs.json; so the
 * stacks are independent and are planned side by side. `--online` plans the synthesized stacks in place
 * against their real backend and account (the user's CI).
 */
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs as parseNodeArgs } from "node:util";
import { OFFERED_ZONES_LOCAL } from "../contract/network";
import { STACK_NAMES } from "../stacks/config";
import { type CommandIO, type CommandSpec, runAsMain } from "./lib/command";
import {
  outDir,
  readSynthesizedStacks,
  projectRoot as root,
  StackOrderError,
  type SynthesizedStack,
  synthesize,
} from "./lib/synthesized-stacks";
import {
  captureTerraform,
  captureTerraformAsync,
  TerraformError,
  terraformBinary,
  terraformErrors,
} from "./lib/terraform";
import { type ChosenVarFile, chooseVarFile, describeVarFile, setsVariable, TfvarsError } from "./lib/tfvars";
import { renderMarkdown, renderText, type StackPlanSummary, summarizePlan } from "./plan/summary";

export { dependencyOrder } from "./lib/synthesized-stacks";

const reviewDir = join(root, "plan-review");
const SHIPPED_MIRROR = "/opt/tf-plugins";
const SHIPPED_CLI_CONFIG = join(root, "terraform", "offline.tfrc");

export const USAGE = `Usage: npm run plan -- [--stacks a,b] [--var-file <file>] [--skip-synth]
       npm run plan:online -- [--stacks a,b] [--var-file <file>]

Synthesizes the stacks and runs terraform init and plan for each; writes plan-review/<stack>.plan.json and
plan-review/summary.md. Offline (npm run plan), no AWS account is needed: test credentials, stub upstream
state (review/upstream-stubs.json). Online (plan:online), the real backend and account.

  --var-file <file>  variables to plan with; default terraform.tfvars, or terraform.tfvars.example when
                     there is none (offline only)
  --stacks a,b       only these stacks (${STACK_NAMES.join(", ")})
  --skip-synth       plan what cdktf.out/ already holds
  -h, --help         show this help`;

export class PlanReviewError extends Error {
  override readonly name = "PlanReviewError";
}

interface Options {
  readonly online: boolean;
  readonly stacks: readonly string[] | undefined;
  readonly varFile: ChosenVarFile;
  readonly skipSynth: boolean;
  readonly help: boolean;
}

export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Options {
  let values: ReturnType<typeof parseOptions>["values"];
  try {
    values = parseOptions(argv).values;
  } catch (error) {
    throw new PlanReviewError(`${(error as Error).message}\n\n${USAGE}`, { cause: error });
  }
  return optionsFrom(values, env);
}

function optionsFrom(values: ReturnType<typeof parseOptions>["values"], env: NodeJS.ProcessEnv): Options {
  const online = values.online ?? false;
  const help = values.help ?? false;
  const given = values["var-file"] ?? (env.TF_VAR_FILE?.trim() || undefined);
  return {
    online,
    help,
    skipSynth: values["skip-synth"] ?? false,
    stacks: values.stacks?.split(",").filter(Boolean),
    // The example stands in only for a fresh clone's offline review; online plans need the real values.
    varFile: help ? { path: "", reason: "given" } : chooseVarFile(root, given, !online),
  };
}

const OPTIONS = {
  online: { type: "boolean" },
  stacks: { type: "string" },
  "var-file": { type: "string" },
  "skip-synth": { type: "boolean" },
} as const;

function parseOptions(argv: readonly string[]) {
  return parseNodeArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: { ...OPTIONS, help: { type: "boolean", short: "h" } },
  });
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
  // Lookups that call an AWS API cannot run offline; each has a stand-in (see OFFLINE_LOOKUPS).
  const lookups = OFFLINE_LOOKUPS.filter(
    (lookup) => Object.keys(stack.config.data?.[lookup.type] ?? {}).length > 0,
  );
  const data: Record<string, Record<string, unknown>> = {};
  if (Object.keys(remoteStates).length > 0) {
    data.terraform_remote_state = Object.fromEntries(
      Object.keys(remoteStates).map((name) => {
        const path = upstreamStatePaths[name];
        if (!path) throw new PlanReviewError(`${stack.name}: no stub state for remote state "${name}"`);
        return [name, { backend: "local", config: { path } }];
      }),
    );
  }
  for (const lookup of lookups) {
    data[lookup.type] = Object.fromEntries(
      Object.keys(stack.config.data?.[lookup.type] ?? {}).map((name) => [name, { count: 0 }]),
    );
  }
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
    ...(Object.keys(data).length > 0 && { data }),
    ...(lookups.length > 0 && { locals: Object.assign({}, ...lookups.map((lookup) => lookup.locals)) }),
  };
}

/**
 * Data sources that call AWS, switched off offline (count = 0), and the locals that used them, given the value
 * a typical Region would answer with.
 */
export const OFFLINE_LOOKUPS = [
  {
    type: "aws_vpc_endpoint_service",
    locals: { [OFFERED_ZONES_LOCAL]: ["${var.region}a", "${var.region}b"] },
  },
] as const;

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

const REVIEW_VARIABLES_KEY = "variables";

/** Values the offline review supplies for variables a fresh tfvars cannot know yet (the classifier ARN). */
export function stubVariables(
  stack: SynthesizedStack,
  varFileContent: string,
  stubs: Record<string, unknown>,
): Record<string, string> {
  const defaults = (stubs[REVIEW_VARIABLES_KEY] ?? {}) as Record<string, string>;
  return Object.fromEntries(
    Object.entries(defaults).filter(
      ([name]) => name in (stack.config.variable ?? {}) && !setsVariable(varFileContent, name),
    ),
  );
}

async function terraform(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  log: string[],
): Promise<string> {
  const result = await captureTerraformAsync(args, { cwd, env });
  log.push(`$ terraform ${args.join(" ")}`, result.stdout, result.stderr);
  if (result.status !== 0) {
    throw new PlanReviewError(
      `terraform ${args[0]} failed in ${relative(root, cwd)}:\n${result.stderr || result.stdout}`,
    );
  }
  return result.stdout;
}

/** A work directory whose providers are installed and whose backend is the override's: init can be skipped. */
function isInitialized(workDir: string): boolean {
  return (
    existsSync(join(workDir, ".terraform", "terraform.tfstate")) &&
    existsSync(join(workDir, ".terraform.lock.hcl"))
  );
}

let initQueue: Promise<unknown> = Promise.resolve();

interface PlannedStack {
  readonly summary: StackPlanSummary;
  readonly seconds: number;
  readonly notes: readonly string[];
}

async function planStack(
  stack: SynthesizedStack,
  all: readonly SynthesizedStack[],
  options: Options,
  env: NodeJS.ProcessEnv,
  stubs: StubOutputs,
): Promise<PlannedStack> {
  const started = performance.now();
  const log: string[] = [];
  const notes: string[] = [];
  let workDir = stack.dir;
  const extraArgs: string[] = [];
  const stubbed = options.online
    ? {}
    : stubVariables(stack, readFileSync(options.varFile.path, "utf8"), stubs);
  for (const [name, value] of Object.entries(stubbed)) {
    extraArgs.push(`-var=${name}=${value}`);
    notes.push(
      `${stack.name}: ${name} is not set in the variables file, so the review plans with the stub ${value}`,
    );
  }
  if (!options.online) {
    workDir = join(reviewDir, stack.name);
    mkdirSync(workDir, { recursive: true });
    // Providers and the lock file stay between runs; only the configuration is refreshed.
    cpSync(stack.dir, workDir, {
      recursive: true,
      force: true,
      filter: (src) => !src.startsWith(join(stack.dir, ".terraform")),
    });
    const paths = seedStubStates(stack, all, stubs, workDir);
    writeFileSync(
      join(workDir, "zz_offline_override.tf.json"),
      JSON.stringify(offlineOverride(stack, paths), null, 2),
    );
  }
  try {
    if (options.online || !isInitialized(workDir)) {
      // One init at a time: Terraform's plugin cache is not safe for concurrent installs (on a fresh clone,
      // parallel inits raced creating the cache directory). The plans themselves run side by side.
      const init = initQueue.then(() => terraform(["init", "-input=false", "-no-color"], workDir, env, log));
      initQueue = init.then(
        () => undefined,
        () => undefined,
      );
      await init;
    }
    // No plan before every init is done: a plan reads the providers an init may be linking from the shared
    // plugin cache at that moment (on a fresh clone a plan once found its provider missing). Every stack
    // queued its init synchronously before its first await, so this waits for all of them.
    await initQueue;
    await terraform(
      [
        "plan",
        "-input=false",
        "-no-color",
        "-lock=false",
        `-var-file=${options.varFile.path}`,
        ...extraArgs,
        "-out=tfplan",
      ],
      workDir,
      env,
      log,
    );
    const planJson = await terraform(["show", "-json", "tfplan"], workDir, env, log);
    writeFileSync(join(reviewDir, `${stack.name}.plan.json`), planJson);
    const summary = summarizePlan(stack.name, JSON.parse(planJson));
    return { summary, seconds: (performance.now() - started) / 1000, notes };
  } finally {
    writeFileSync(join(reviewDir, `${stack.name}.terraform.log`), log.join("\n"));
  }
}

/** Terraform answers, or the review stops here with how to install it (before a minute of synth). */
export function checkTerraform(env: NodeJS.ProcessEnv): string {
  const version = captureTerraform(["version", "-json"], { cwd: root, env });
  if (version.status !== 0) {
    throw new PlanReviewError(`${terraformBinary(env)} version failed: ${terraformErrors(version.stderr)}`);
  }
  return (JSON.parse(version.stdout) as { terraform_version: string }).terraform_version;
}

async function review(options: Options, io: CommandIO): Promise<void> {
  // Named stacks are checked before a synth and bundle that take seconds.
  const unknown = (options.stacks ?? []).filter((name) => !(STACK_NAMES as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new PlanReviewError(
      `unknown stack(s): ${unknown.join(", ")}. The stacks are ${STACK_NAMES.join(", ")}.`,
    );
  }
  const env = terraformEnv(options.online);
  const version = checkTerraform(env);
  if (!options.skipSynth) synthesize();
  const all = readSynthesizedStacks(outDir);
  const selected = options.stacks ? all.filter((s) => options.stacks?.includes(s.name)) : all;
  const stubs = JSON.parse(readFileSync(join(root, "review", "upstream-stubs.json"), "utf8")) as StubOutputs;

  const mode = options.online
    ? "online (real backend and account)"
    : "offline (stub credentials and upstream state)";
  io.out(`plan review, ${mode}, Terraform ${version}: ${selected.map((s) => s.name).join(", ")}`);
  io.out(`variables: ${describeVarFile(root, options.varFile)}`);
  mkdirSync(reviewDir, { recursive: true });
  // Offline, every stack reads stub upstream state, so none waits for another; online ones only read state.
  // All at once, even on two cores: each Terraform waits on its provider plugin much of the time (measured:
  // 16-17 s for four stacks, against 23-24 s two at a time).
  const planned = await Promise.allSettled(
    selected.map((stack) => planStack(stack, all, options, env, stubs)),
  );
  const failures = planned.flatMap((result, index) =>
    result.status === "rejected" ? [`${selected[index]?.name}: ${(result.reason as Error).message}`] : [],
  );
  const summaries: StackPlanSummary[] = [];
  for (const result of planned) {
    if (result.status !== "fulfilled") continue;
    summaries.push(result.value.summary);
    io.out(`  ${renderText(result.value.summary)} (${result.value.seconds.toFixed(1)} s)`);
    for (const note of result.value.notes) io.out(`  note: ${note}`);
  }
  if (failures.length > 0) throw new PlanReviewError(failures.join("\n"));
  const markdown = renderMarkdown(summaries);
  writeFileSync(join(reviewDir, "summary.md"), markdown);
  writeFileSync(join(reviewDir, "summary.json"), `${JSON.stringify(summaries, null, 2)}\n`);
  io.out(`\n${markdown}\nplans: plan-review/<stack>.plan.json, summary: plan-review/summary.md`);
}

export const PLAN_REVIEW_COMMAND: CommandSpec<typeof OPTIONS> = {
  usage: USAGE,
  options: OPTIONS,
  explain: (error) =>
    [PlanReviewError, TerraformError, TfvarsError, StackOrderError].some((type) => error instanceof type)
      ? { message: `plan review failed: ${(error as Error).message}`, exitCode: 1 }
      : undefined,
  run: ({ values }, io) => review(optionsFrom(values, process.env), io),
};

if (require.main === module) runAsMain(PLAN_REVIEW_COMMAND);
