#!/usr/bin/env node
// A Terraform that cannot reach AWS, for running the operator's documented commands for real: `apply` and
// `destroy` are recorded (and their effect on state simulated from review/upstream-stubs.json), `providers
// lock` is a no-op (it needs the registry), and everything else goes to the real terraform with the offline
// provider mirror and test credentials. Point TERRAFORM_BINARY_NAME at this file.
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";

const args = process.argv.slice(2);
const cwd = process.cwd();
const record = process.env.RECORDING_TERRAFORM_LOG;
const real = process.env.REAL_TERRAFORM || "terraform";
const verb = args[0] === "providers" ? `providers ${args[1]}` : args[0];

const stackConfig = () => JSON.parse(readFileSync(join(cwd, "cdk.tf.json"), "utf8"));
const statePath = () => resolve(cwd, stackConfig().terraform.backend.local.path);
const projectRoot = () => resolve(cwd, "..", "..", "..");

function log(entry) {
  if (record)
    appendFileSync(record, `${JSON.stringify({ cwd, stack: basename(cwd), verb, args, ...entry })}\n`);
}

function readVarFiles() {
  return args
    .filter((arg) => arg.startsWith("-var-file="))
    .map((arg) => {
      const path = arg.slice("-var-file=".length);
      return { path, content: existsSync(path) ? readFileSync(path, "utf8") : null };
    });
}

function fakeState(stack) {
  const stubs = JSON.parse(readFileSync(join(projectRoot(), "review", "upstream-stubs.json"), "utf8"));
  const outputs = stubs[stack] ?? { applied: true };
  return {
    version: 4,
    terraform_version: "1.11.4",
    serial: 1,
    lineage: "recording-terraform",
    outputs: Object.fromEntries(
      Object.entries(outputs).map(([name, value]) => [
        name,
        { value, type: Array.isArray(value) ? ["list", "string"] : "string" },
      ]),
    ),
    resources: [
      {
        mode: "managed",
        type: "terraform_data",
        name: "recorded_apply",
        provider: 'provider["terraform.io/builtin/terraform"]',
        instances: [
          {
            schema_version: 0,
            attributes: { id: "recorded", input: null, output: null, triggers_replace: null },
          },
        ],
      },
    ],
    check_results: null,
  };
}

if (verb === "apply" || verb === "destroy") {
  const answer = args.includes("-auto-approve") ? "auto-approve" : "prompt";
  log({ varFiles: readVarFiles(), vars: args.filter((arg) => arg.startsWith("-var=")), approval: answer });
  if (verb === "apply") writeFileSync(statePath(), JSON.stringify(fakeState(basename(cwd)), null, 2));
  else rmSync(statePath(), { force: true });
  process.stdout.write(`recording-terraform: ${verb} of ${basename(cwd)} recorded, not run\n`);
  process.exit(0);
}
if (verb === "providers lock") {
  log({});
  process.exit(0);
}

const env = { ...process.env, CHECKPOINT_DISABLE: "1" };
const mirrorConfig = process.env.RECORDING_TERRAFORM_CLI_CONFIG;
if (mirrorConfig) env.TF_CLI_CONFIG_FILE = mirrorConfig;
if (verb === "plan") {
  // A real plan needs credentials; these only satisfy the provider, which is told not to check them.
  env.AWS_ACCESS_KEY_ID = "AKIARECORDINGTERRAFORM";
  env.AWS_SECRET_ACCESS_KEY = "recording-terraform-not-a-secret";
}
log({});
const result = spawnSync(real, args, { cwd, env, stdio: "inherit" });
process.exit(result.status ?? 1);
