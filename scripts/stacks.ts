/**
 * `npm run deploy` and `npm run destroy`: Terraform per stack, in dependency order, with the user's
 * terraform.tfvars. Upstream stacks that a command leaves out must already be deployed (deploy), and
 * downstream stacks that read a stack's outputs must be gone before it is destroyed (destroy); both are
 * checked against the stacks' state before anything changes.
 */

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { isClassifierArn } from "../contract/arns";
import { STACK_NAMES } from "../stacks/config";
import {
  downstreamOf,
  projectRoot,
  readSynthesizedStacks,
  StackOrderError,
  type SynthesizedStack,
  synthesize,
} from "./lib/synthesized-stacks";
import { captureTerraform, runTerraformInteractive, TerraformError, terraformErrors } from "./lib/terraform";
import {
  chooseVarFile,
  describeVarFile,
  readBoolVariable,
  setStringVariable,
  setsVariable,
  TfvarsError,
} from "./lib/tfvars";

export type Verb = "deploy" | "destroy";

const STACKS: readonly string[] = STACK_NAMES;
const CLASSIFIER_VARIABLE = "document_classifier_arn";

export const USAGE: Record<Verb, string> = {
  deploy: `Usage: npm run deploy -- <stack>... [--auto-approve] [--classifier-arn <arn>] [--var-file <file>] [--var name=value]

Deploys the named stacks (${STACKS.join(", ")}) in dependency order with Terraform, using terraform.tfvars
in the project directory. Each stack shows its plan and asks before applying unless --auto-approve.
A stack left out of the command must already be deployed if a named stack reads its outputs.

  --classifier-arn <arn>  write document_classifier_arn = "<arn>" into terraform.tfvars first: how to serve
                          a newly trained classifier, or roll back to an earlier one, with the inference stack
  --auto-approve          apply without asking (CI)
  --var-file <file>       another variables file instead of terraform.tfvars
  --var name=value        one variable for this run only (repeatable)
  -h, --help              show this help

Examples:
  npm run deploy -- data network training
  npm run deploy -- inference --classifier-arn arn:aws:comprehend:us-east-1:111122223333:document-classifier/<name>/version/<version>`,
  destroy: `Usage: npm run destroy -- <stack>... [--auto-approve] [--var-file <file>] [--var name=value]

Destroys the named stacks (${STACKS.join(", ")}), downstream stacks first, with terraform.tfvars from the
project directory. A stack whose outputs another deployed stack reads is refused until that one is gone.

  --auto-approve          destroy without asking
  --var-file <file>       another variables file instead of terraform.tfvars
  --var name=value        one variable for this run only (repeatable)
  -h, --help              show this help

Destroying data deletes the bucket with every dataset and model output and schedules the key for deletion;
it is refused unless bucket_force_destroy = true confirms it.

Examples:
  npm run destroy -- inference        (stops the endpoint's hourly charge; the trained model stays)`,
};

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export interface StackCommand {
  readonly verb: Verb;
  readonly stacks: readonly string[];
  readonly autoApprove: boolean;
  readonly varFile: string | undefined;
  readonly vars: readonly string[];
  readonly classifierArn: string | undefined;
  readonly help: boolean;
}

export function parseCommand(verb: Verb, argv: readonly string[]): StackCommand {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(verb, argv);
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${USAGE[verb]}`, { cause: error });
  }
  const { values, positionals } = parsed;
  const command: StackCommand = {
    verb,
    stacks: [...new Set(positionals)],
    autoApprove: values["auto-approve"] ?? false,
    varFile: values["var-file"],
    vars: values.var ?? [],
    classifierArn: "classifier-arn" in values ? (values["classifier-arn"] as string | undefined) : undefined,
    help: values.help ?? false,
  };
  if (command.help) return command;
  if (command.stacks.length === 0) throw new UsageError(`Name the stacks to ${verb}.\n\n${USAGE[verb]}`);
  const unknown = command.stacks.filter((stack) => !STACKS.includes(stack));
  if (unknown.length > 0) {
    throw new UsageError(`Unknown stack(s): ${unknown.join(", ")}. The stacks are ${STACKS.join(", ")}.`);
  }
  for (const assignment of command.vars) {
    if (!/^[a-z_][a-z0-9_]*=/.test(assignment)) {
      throw new UsageError(`--var takes name=value, got "${assignment}"`);
    }
  }
  if (command.classifierArn !== undefined && !isClassifierArn(command.classifierArn)) {
    throw new UsageError(
      `--classifier-arn must be a Comprehend document classifier ARN (arn:aws:comprehend:<region>:<account>:document-classifier/<name>[/version/<version>]), got "${command.classifierArn}"`,
    );
  }
  return command;
}

function parse(verb: Verb, argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      "auto-approve": { type: "boolean" },
      "var-file": { type: "string" },
      var: { type: "string", multiple: true },
      help: { type: "boolean", short: "h" },
      ...(verb === "deploy" && { "classifier-arn": { type: "string" } }),
    },
  });
}

export interface Io {
  readonly out: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

function quietInit(stack: SynthesizedStack, env: NodeJS.ProcessEnv): void {
  const init = captureTerraform(["init", "-input=false", "-no-color"], { cwd: stack.dir, env });
  if (init.status !== 0) {
    throw new TerraformError(`terraform init failed for ${stack.name}: ${terraformErrors(init.stderr)}`);
  }
}

/** Whether a stack has been applied: its state has outputs (every stack here declares some). */
function isDeployed(stack: SynthesizedStack, env: NodeJS.ProcessEnv): boolean {
  quietInit(stack, env);
  const output = captureTerraform(["output", "-json", "-no-color"], { cwd: stack.dir, env });
  if (output.status !== 0) {
    throw new TerraformError(
      `Reading the outputs of ${stack.name} failed: ${terraformErrors(output.stderr)}`,
    );
  }
  return Object.keys(JSON.parse(output.stdout || "{}") as object).length > 0;
}

/** How many resources a stack's state holds. */
function resourceCount(stack: SynthesizedStack, env: NodeJS.ProcessEnv): number {
  quietInit(stack, env);
  const list = captureTerraform(["state", "list", "-no-color"], { cwd: stack.dir, env });
  // A stack never applied has no state at all; `state list` then says so and exits 1 on some versions.
  if (list.status !== 0) return 0;
  return list.stdout.split("\n").filter((line) => line.trim() !== "").length;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function planOrder(verb: Verb, all: readonly SynthesizedStack[], named: readonly string[]) {
  const selected = all.filter((stack) => named.includes(stack.name));
  return verb === "deploy" ? selected : [...selected].reverse();
}

/** Upstream stacks a deploy needs that it does not include and that are not deployed. */
export function missingUpstream(
  all: readonly SynthesizedStack[],
  selected: readonly SynthesizedStack[],
  deployed: (stack: SynthesizedStack) => boolean,
): { stack: string; needs: string }[] {
  const names = new Set(selected.map((stack) => stack.name));
  const checked = new Map<string, boolean>();
  const missing: { stack: string; needs: string }[] = [];
  for (const stack of selected) {
    for (const dependency of stack.dependencies) {
      if (names.has(dependency)) continue;
      const upstream = all.find((candidate) => candidate.name === dependency);
      if (!upstream) continue;
      if (!checked.has(dependency)) checked.set(dependency, deployed(upstream));
      if (!checked.get(dependency)) missing.push({ stack: stack.name, needs: dependency });
    }
  }
  return missing;
}

/** Downstream stacks that still hold resources and are not being destroyed with the named ones. */
export function remainingDownstream(
  all: readonly SynthesizedStack[],
  selected: readonly SynthesizedStack[],
  resources: (stack: SynthesizedStack) => number,
): { stack: string; readBy: string; resources: number }[] {
  const names = new Set(selected.map((stack) => stack.name));
  const counted = new Map<string, number>();
  const blocking: { stack: string; readBy: string; resources: number }[] = [];
  for (const stack of selected) {
    for (const downstream of downstreamOf(all, stack.name)) {
      if (names.has(downstream.name)) continue;
      if (!counted.has(downstream.name)) counted.set(downstream.name, resources(downstream));
      const count = counted.get(downstream.name) ?? 0;
      if (count > 0) blocking.push({ stack: stack.name, readBy: downstream.name, resources: count });
    }
  }
  return blocking;
}

export function run(command: StackCommand, io: Io): number {
  const { verb } = command;
  const chosen = chooseVarFile(projectRoot, command.varFile, false);
  const fileName = describeVarFile(projectRoot, chosen);
  if (command.classifierArn !== undefined) {
    const { previous } = setStringVariable(chosen.path, CLASSIFIER_VARIABLE, command.classifierArn);
    io.out(
      previous === command.classifierArn
        ? `${fileName}: ${CLASSIFIER_VARIABLE} already is ${command.classifierArn}`
        : `${fileName}: ${CLASSIFIER_VARIABLE} = "${command.classifierArn}"${previous ? ` (was ${previous}; to roll back: npm run deploy -- inference --classifier-arn ${previous})` : ""}`,
    );
  }
  const passesArn = command.vars.some((assignment) => assignment.startsWith(`${CLASSIFIER_VARIABLE}=`));
  if (
    verb === "deploy" &&
    command.stacks.includes("inference") &&
    !passesArn &&
    !setsVariable(readFileSync(chosen.path, "utf8"), CLASSIFIER_VARIABLE)
  ) {
    throw new UsageError(
      `${fileName} does not set ${CLASSIFIER_VARIABLE}, which the inference stack serves. Pass the ARN from the "Training finished" email: npm run deploy -- inference --classifier-arn <arn>`,
    );
  }

  if (verb === "destroy" && command.stacks.includes("data")) {
    const confirmed =
      command.vars.includes("bucket_force_destroy=true") ||
      readBoolVariable(readFileSync(chosen.path, "utf8"), "bucket_force_destroy") === true;
    if (!confirmed) {
      throw new UsageError(
        `Destroying the data stack deletes the bucket with every dataset, report and model output, and schedules the KMS key that encrypts them (and the trained models) for deletion in 30 days. Nothing was changed. To keep a copy first: aws s3 sync s3://<bucket> ./backup. To confirm, set bucket_force_destroy = true in ${fileName} and run the command again.`,
      );
    }
  }

  synthesize(io.env);
  const all = readSynthesizedStacks();
  const ordered = planOrder(verb, all, command.stacks);

  if (verb === "deploy") {
    const missing = missingUpstream(all, ordered, (stack) => isDeployed(stack, io.env));
    if (missing.length > 0) {
      const needed = [...new Set(missing.map((m) => m.needs))];
      const reasons = missing.map((m) => `${m.stack} reads the outputs of ${m.needs}`).join("; ");
      const together = all
        .filter((stack) => needed.includes(stack.name) || command.stacks.includes(stack.name))
        .map((stack) => stack.name);
      throw new StackOrderError(
        `${reasons}, and ${needed.join(" and ")} ${needed.length === 1 ? "is" : "are"} not deployed yet. Nothing was changed. Deploy ${needed.length === 1 ? "it" : "them"} first, or together: npm run deploy -- ${together.join(" ")}`,
      );
    }
  } else {
    const blocking = remainingDownstream(all, ordered, (stack) => resourceCount(stack, io.env));
    if (blocking.length > 0) {
      const readers = [...new Set(blocking.map((b) => b.readBy))];
      const reasons = blocking
        .map((b) => `${b.readBy} (${plural(b.resources, "resource")}) reads the outputs of ${b.stack}`)
        .join("; ");
      throw new StackOrderError(
        `Refusing to destroy ${command.stacks.join(" ")}: ${reasons}, and destroying it first would leave ${readers.join(" and ")} unmanageable. Nothing was changed. Destroy ${readers.join(" ")} first: npm run destroy -- ${readers.join(" ")}`,
      );
    }
  }

  io.out(
    `${verb === "deploy" ? "Deploying" : "Destroying"} ${ordered.map((s) => s.name).join(", ")} with ${fileName}`,
  );
  const variableArgs = [
    `-var-file=${chosen.path}`,
    ...command.vars.map((assignment) => `-var=${assignment}`),
  ];
  for (const [index, stack] of ordered.entries()) {
    io.out(
      `\n== ${stack.name} (${index + 1} of ${ordered.length}): terraform ${verb === "deploy" ? "apply" : "destroy"}`,
    );
    const init = runTerraformInteractive(["init", "-input=false"], { cwd: stack.dir, env: io.env });
    if (init !== 0) return stopped(io, ordered, index, `terraform init failed for ${stack.name}`);
    const args = [
      verb === "deploy" ? "apply" : "destroy",
      ...variableArgs,
      ...(command.autoApprove ? ["-auto-approve"] : []),
    ];
    const status = runTerraformInteractive(args, { cwd: stack.dir, env: io.env });
    if (status !== 0)
      return stopped(io, ordered, index, `terraform ${args[0]} of ${stack.name} exited ${status}`);
  }
  io.out(`\n${verb === "deploy" ? "Deployed" : "Destroyed"}: ${ordered.map((s) => s.name).join(", ")}`);
  return 0;
}

function stopped(io: Io, ordered: readonly SynthesizedStack[], index: number, why: string): number {
  const rest = ordered.slice(index + 1).map((stack) => stack.name);
  io.out(`\n${why}${rest.length > 0 ? `; not started: ${rest.join(", ")}` : ""}.`);
  return 1;
}

export function main(verb: Verb, argv: readonly string[], io: Io): number {
  try {
    const command = parseCommand(verb, argv);
    if (command.help) {
      io.out(USAGE[verb]);
      return 0;
    }
    return run(command, io);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(error.message);
      return 2;
    }
    if (error instanceof TfvarsError || error instanceof StackOrderError || error instanceof TerraformError) {
      console.error(`${verb} stopped: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

if (require.main === module) {
  const [verb, ...argv] = process.argv.slice(2);
  if (verb !== "deploy" && verb !== "destroy") {
    console.error("Usage: tsx scripts/stacks.ts deploy|destroy <stack>...");
    process.exit(2);
  }
  process.exit(main(verb, argv, { out: (line) => console.log(line), env: process.env }));
}
