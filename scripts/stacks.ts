/**
 * `npm run deploy` and `npm run destroy`: Terraform per stack, in dependency order, with the user's
 * terraform.tfvars. Upstream stacks that a command leaves out must already be deployed (deploy), and
 * downstream stacks that read a stack's outputs must be gone before it is destroyed (destroy); both are
 * checked against the stacks' state before anything changes.
 */

import { readFileSync } from "node:fs";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import type { AwsCredentialIdentityProvider } from "@smithy/types";
import { isClassifierArn } from "../contract/arns";
import { COMPREHEND_REGIONS } from "../contract/regions";
import { STACK_NAMES, type StackName } from "../stacks/config";
import {
  CONSOLE_IO,
  CommandFailure,
  type CommandSpec,
  type ParsedArgs,
  runCommand,
  UsageError,
} from "./lib/command";
import { projectStateSource, type StateSource } from "./lib/state";
import {
  downstreamOf,
  projectRoot,
  readSynthesizedStacks,
  StackOrderError,
  type SynthesizedStack,
  synthesize,
} from "./lib/synthesized-stacks";
import { initOnce, runTerraformInteractive, TerraformError } from "./lib/terraform";
import {
  chooseVarFile,
  describeVarFile,
  readBoolVariable,
  readStringVariable,
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

export interface StackCommand {
  readonly verb: Verb;
  readonly stacks: readonly string[];
  readonly autoApprove: boolean;
  readonly varFile: string | undefined;
  readonly vars: readonly string[];
  readonly classifierArn: string | undefined;
}

function optionsFor(verb: Verb) {
  return {
    "auto-approve": { type: "boolean" },
    "var-file": { type: "string" },
    var: { type: "string", multiple: true },
    ...(verb === "deploy" ? { "classifier-arn": { type: "string" } } : {}),
  } as const;
}
type StackOptions = ReturnType<typeof optionsFor> & { "classifier-arn"?: { type: "string" } };

/** The parsed options, checked: a mistake is a UsageError naming it. */
export function stackCommand(verb: Verb, { values, positionals }: ParsedArgs<StackOptions>): StackCommand {
  const command: StackCommand = {
    verb,
    stacks: [...new Set(positionals)],
    autoApprove: values["auto-approve"] ?? false,
    varFile: values["var-file"],
    vars: values.var ?? [],
    classifierArn: values["classifier-arn"] as string | undefined,
  };
  if (command.stacks.length === 0) throw new UsageError(`Name the stacks to ${verb}.`);
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

export interface Io {
  readonly out: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** The standard credential chain, asked once before anything else: Terraform needs credentials. */
  readonly credentials?: AwsCredentialIdentityProvider;
  /** Where the stacks keep their state; read to check the stacks around the named ones. */
  readonly state?: StateSource;
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
  deployed: ReadonlySet<string>,
): { stack: string; needs: string }[] {
  const names = new Set(selected.map((stack) => stack.name));
  return selected.flatMap((stack) =>
    stack.dependencies
      .filter((dependency) => !names.has(dependency) && all.some((s) => s.name === dependency))
      .filter((dependency) => !deployed.has(dependency))
      .map((needs) => ({ stack: stack.name, needs })),
  );
}

/** Downstream stacks that still hold resources and are not being destroyed with the named ones. */
export function remainingDownstream(
  all: readonly SynthesizedStack[],
  selected: readonly SynthesizedStack[],
  resources: ReadonlyMap<string, number>,
): { stack: string; readBy: string; resources: number }[] {
  const names = new Set(selected.map((stack) => stack.name));
  return selected.flatMap((stack) =>
    downstreamOf(all, stack.name)
      .filter((downstream) => !names.has(downstream.name) && (resources.get(downstream.name) ?? 0) > 0)
      .map((downstream) => ({
        stack: stack.name,
        readBy: downstream.name,
        resources: resources.get(downstream.name) ?? 0,
      })),
  );
}

/** A --var name=value and the stacks of this command that declare the variable. */
export interface StackVariables {
  /** The -var arguments each stack gets: only variables it declares (Terraform refuses others on the command line). */
  readonly perStack: ReadonlyMap<string, readonly string[]>;
  /** Variables no stack of this command declares. */
  readonly unused: readonly string[];
}

/**
 * Terraform rejects a command-line value for a variable the configuration does not declare ("Value for
 * undeclared variable" is an error for -var, only a warning for a variables file: "Input Variables",
 * Terraform language docs), so each stack is given only the --var values it declares.
 */
export function variablesPerStack(
  stacks: readonly SynthesizedStack[],
  vars: readonly string[],
): StackVariables {
  const nameOf = (assignment: string) => assignment.slice(0, assignment.indexOf("="));
  const declares = (stack: SynthesizedStack, name: string) => name in (stack.config.variable ?? {});
  return {
    perStack: new Map(
      stacks.map((stack) => [stack.name, vars.filter((assignment) => declares(stack, nameOf(assignment)))]),
    ),
    unused: [...new Set(vars.map(nameOf))].filter((name) => !stacks.some((stack) => declares(stack, name))),
  };
}

/** The Region the stacks deploy to (the region variable, us-east-1 by default) must offer Comprehend. */
export function checkRegion(content: string, fileName: string, vars: readonly string[]): void {
  const fromVar = vars.find((assignment) => assignment.startsWith("region="))?.slice("region=".length);
  const region = fromVar ?? readStringVariable(content, "region") ?? "us-east-1";
  if ((COMPREHEND_REGIONS as readonly string[]).includes(region)) return;
  throw new CommandFailure(
    `${fromVar ? "--var region" : `${fileName} sets region`} to ${region}, where Amazon Comprehend custom classification is not available. Nothing was changed. Choose one of: ${COMPREHEND_REGIONS.join(", ")}.`,
    2,
  );
}

/** Terraform cannot plan or apply without credentials: said in one line before a synth and init. */
async function checkCredentials(provider: AwsCredentialIdentityProvider, verb: Verb): Promise<void> {
  try {
    await provider();
  } catch (error) {
    throw new CommandFailure(
      `No usable AWS credentials, and Terraform needs them to ${verb}: set AWS_PROFILE (and log in, e.g. aws sso login) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for the account to ${verb === "deploy" ? "deploy to" : "destroy in"}. Nothing was changed. (${(error as Error).message})`,
      2,
      { cause: error },
    );
  }
}

/** Domains reserved for documentation (RFC 2606): mail to them reaches nobody. */
const DOCUMENTATION_DOMAIN = /@(?:[a-z0-9-]+\.)*example\.(?:com|org|net)$/i;

/**
 * The example's notification_email passes Terraform's validation, so a deploy with the file unchanged would send
 * every report to example.com: refused before anything changes, naming the line to edit.
 */
export function refuseDocumentationEmail(content: string, fileName: string, vars: readonly string[]): void {
  const fromVar = vars.find((assignment) => assignment.startsWith("notification_email="));
  const email = fromVar
    ? fromVar.slice("notification_email=".length)
    : readStringVariable(content, "notification_email");
  if (!email || !DOCUMENTATION_DOMAIN.test(email.trim())) return;
  const line = content.split("\n").findIndex((text) => /^\s*notification_email\s*=/.test(text)) + 1;
  const where = fromVar
    ? "--var notification_email"
    : `${fileName}${line > 0 ? `, line ${line},` : ""} sets notification_email`;
  throw new CommandFailure(
    `${where} to ${email}, an address of a domain reserved for examples: the pipeline's emails would reach nobody. Nothing was changed. Put your team's address there and run the command again.`,
    2,
  );
}

/** The data stack's bucket, by its address in the synthesized configuration. */
function bucketAddress(stack: SynthesizedStack): string {
  const buckets = Object.keys(
    (stack.config as { resource?: Record<string, Record<string, unknown>> }).resource?.aws_s3_bucket ?? {},
  );
  if (buckets.length !== 1)
    throw new StackOrderError(`the ${stack.name} stack should hold one bucket, found ${buckets.length}`);
  return `aws_s3_bucket.${buckets[0]}`;
}

export async function run(command: StackCommand, io: Io): Promise<number> {
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
    throw new CommandFailure(
      `${fileName} does not set ${CLASSIFIER_VARIABLE}, which the inference stack serves. Pass the ARN from the "Training finished" email: npm run deploy -- inference --classifier-arn <arn>`,
      2,
    );
  }

  const content = readFileSync(chosen.path, "utf8");
  checkRegion(content, fileName, command.vars);
  if (verb === "deploy" && command.stacks.includes("training")) {
    refuseDocumentationEmail(content, fileName, command.vars);
  }
  await checkCredentials(io.credentials ?? fromNodeProviderChain(), verb);

  const destroysData = verb === "destroy" && command.stacks.includes("data");
  if (destroysData) {
    const confirmed =
      command.vars.includes("bucket_force_destroy=true") ||
      readBoolVariable(readFileSync(chosen.path, "utf8"), "bucket_force_destroy") === true;
    if (!confirmed) {
      throw new CommandFailure(
        `Destroying the data stack deletes the bucket with every dataset, report and model output, and schedules the KMS key that encrypts them (and the trained models) for deletion in 30 days. Nothing was changed. To keep a copy first: aws s3 sync s3://<bucket> ./backup. To confirm, set bucket_force_destroy = true in ${fileName} and run the command again.`,
        2,
      );
    }
  }

  synthesize(io.env);
  const all = readSynthesizedStacks();
  const ordered = planOrder(verb, all, command.stacks);
  const variables = variablesPerStack(ordered, command.vars);
  if (variables.unused.length > 0) {
    throw new CommandFailure(
      `--var ${variables.unused.join(", ")}: no stack of this command (${ordered.map((s) => s.name).join(", ")}) declares ${variables.unused.length === 1 ? "it" : "them"}. Nothing was changed. Check the spelling; terraform.tfvars.example lists every variable with its stack.`,
      2,
    );
  }
  const state = io.state ?? projectStateSource(projectRoot, io.env);

  if (verb === "deploy") {
    const deployed = new Set<string>();
    for (const stack of all) if (await state.outputs(stack.name as StackName)) deployed.add(stack.name);
    const missing = missingUpstream(all, ordered, deployed);
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
    const resources = new Map<string, number>();
    for (const stack of all) resources.set(stack.name, await state.resourceCount(stack.name as StackName));
    const blocking = remainingDownstream(all, ordered, resources);
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
  if (ordered.length > 0) {
    io.out(
      `(${fileName} serves every stack: each one's Terraform notes the variables only other stacks declare; that is expected.)`,
    );
  }
  const approval = command.autoApprove ? ["-auto-approve"] : [];
  for (const [index, stack] of ordered.entries()) {
    io.out(
      `\n== ${stack.name} (${index + 1} of ${ordered.length}): terraform ${verb === "deploy" ? "apply" : "destroy"}`,
    );
    const variableArgs = [
      `-var-file=${chosen.path}`,
      ...(variables.perStack.get(stack.name) ?? []).map((assignment) => `-var=${assignment}`),
    ];
    const init = initOnce(stack.dir, io.env, (args) =>
      runTerraformInteractive(args, { cwd: stack.dir, env: io.env }),
    );
    if (init !== 0) return stopped(io, ordered, index, `terraform init failed for ${stack.name}`);
    const outputs = stack.name === "data" && destroysData ? await state.outputs("data") : undefined;
    // Only a deployed bucket gets the setting: a targeted apply without one in state would create it.
    if (outputs) {
      // The provider empties a bucket on destroy only when force_destroy = true is already in the state: "there
      // must be a successful terraform apply run before a destroy is required to update this value in the
      // resource state" (aws_s3_bucket, AWS provider docs). Without it, a bucket with data refuses to go after
      // everything that protects it is gone. So the setting is applied to the bucket alone first: an in-place
      // change of state: AWS is read (refresh), nothing in it is changed or deleted.
      io.out(
        "First bucket_force_destroy = true goes into the data stack's state (nothing is deleted by this step): the provider empties a bucket on destroy only once the setting is in state.",
      );
      const target = bucketAddress(stack);
      const recorded = runTerraformInteractive(["apply", `-target=${target}`, ...variableArgs, ...approval], {
        cwd: stack.dir,
        env: io.env,
      });
      if (recorded !== 0)
        return stopped(
          io,
          ordered,
          index,
          `terraform apply -target=${target} of data exited ${recorded}; nothing was deleted`,
        );
    }
    // One terraform.tfvars serves every stack, so each warns about the variables only the others declare:
    // harmless, and said once above; -compact-warnings keeps Terraform's own note to a line.
    const args = [verb === "deploy" ? "apply" : "destroy", "-compact-warnings", ...variableArgs, ...approval];
    const status = runTerraformInteractive(args, { cwd: stack.dir, env: io.env });
    if (status !== 0)
      return stopped(io, ordered, index, `terraform ${args[0]} of ${stack.name} exited ${status}`);
    if (outputs) io.out(deletedData(outputs));
  }
  io.out(`\n${verb === "deploy" ? "Deployed" : "Destroyed"}: ${ordered.map((s) => s.name).join(", ")}`);
  return 0;
}

/** What destroying the data stack removed, in words, with the one command that undoes the key's deletion. */
export function deletedData(outputs: Readonly<Record<string, unknown>>): string {
  const bucket = String(outputs.s3_bucket_name ?? "the data bucket");
  const key = String(outputs.kms_key_arn ?? "the app key");
  return [
    `Deleted: the bucket ${bucket} with every object and object version in it (uploads, training data, reports, model outputs).`,
    `Scheduled for deletion in 30 days: the KMS key ${key}; what it encrypted, trained classifiers included, becomes unreadable then.`,
    `To keep the key within those 30 days: aws kms cancel-key-deletion --key-id ${key}`,
  ].join("\n");
}

function stopped(io: Io, ordered: readonly SynthesizedStack[], index: number, why: string): number {
  const rest = ordered.slice(index + 1).map((stack) => stack.name);
  io.out(`\n${why}${rest.length > 0 ? `; not started: ${rest.join(", ")}` : ""}.`);
  return 1;
}

export function stacksCommand(verb: Verb, io: Io): CommandSpec<StackOptions> {
  return {
    usage: USAGE[verb],
    options: optionsFor(verb) as StackOptions,
    allowPositionals: true,
    explain: (error) =>
      error instanceof TfvarsError || error instanceof StackOrderError || error instanceof TerraformError
        ? { message: `${verb} stopped: ${error.message}`, exitCode: 1 }
        : undefined,
    run: (args) => run(stackCommand(verb, args), io),
  };
}

export function main(verb: Verb, argv: readonly string[], io: Io): Promise<number> {
  return runCommand(stacksCommand(verb, io), argv, { out: io.out, err: (text) => console.error(text) });
}

if (require.main === module) {
  const [verb, ...argv] = process.argv.slice(2);
  if (verb !== "deploy" && verb !== "destroy") {
    console.error(
      "error: the first argument is deploy or destroy\n\nUsage: tsx scripts/stacks.ts deploy|destroy <stack>...",
    );
    process.exitCode = 2;
  } else {
    const io: Io = { out: (line) => console.log(line), env: process.env };
    runCommand(stacksCommand(verb, io), argv, CONSOLE_IO).then((code) => {
      process.exitCode = code;
    });
  }
}
