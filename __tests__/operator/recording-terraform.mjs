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

/** The value this run gives bucket_force_destroy: a -var wins over the variables files, as in Terraform. */
function bucketForceDestroy() {
  const fromVar = args.find((arg) => arg.startsWith("-var=bucket_force_destroy="));
  if (fromVar) return fromVar.endsWith("=true");
  const files = readVarFiles().map((file) => file.content ?? "");
  return files.some((content) => /^\s*bucket_force_destroy\s*=\s*true\b/m.test(content));
}

/**
 * The data bucket as the provider keeps it in state. It holds data (as a real deployment's does), so the
 * provider deletes it only with force_destroy = true in the state: "there must be a successful terraform
 * apply run before a destroy is required to update this value in the resource state. Without a successful
 * terraform apply after this parameter is set, this flag will have no effect" (aws_s3_bucket, AWS provider
 * docs). A destroy reads the state's value, not the variables of the destroy command.
 */
function bucketResource(forceDestroy) {
  return {
    mode: "managed",
    type: "aws_s3_bucket",
    name: "data_bucket",
    provider: 'provider["registry.terraform.io/hashicorp/aws"]',
    instances: [{ schema_version: 0, attributes: { id: "recorded-bucket", force_destroy: forceDestroy } }],
  };
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
      ...(stack === "data" ? [bucketResource(bucketForceDestroy())] : []),
    ],
    check_results: null,
  };
}

if (verb === "apply" || verb === "destroy") {
  const answer = args.includes("-auto-approve") ? "auto-approve" : "prompt";
  const targets = args.filter((arg) => arg.startsWith("-target=")).map((arg) => arg.slice("-target=".length));
  const stack = basename(cwd);
  const state = existsSync(statePath()) ? JSON.parse(readFileSync(statePath(), "utf8")) : undefined;
  const bucket = state?.resources?.find((resource) => resource.type === "aws_s3_bucket");
  if (verb === "destroy" && bucket && bucket.instances[0].attributes.force_destroy !== true) {
    log({
      varFiles: readVarFiles(),
      vars: args.filter((arg) => arg.startsWith("-var=")),
      approval: answer,
      failed: "BucketNotEmpty",
    });
    process.stderr.write(
      "Error: deleting S3 Bucket (recorded-bucket): operation error S3: DeleteBucket, https response error StatusCode: 409, api error BucketNotEmpty: The bucket you tried to delete is not empty. You must delete all versions in the bucket.\n",
    );
    process.exit(1);
  }
  log({
    varFiles: readVarFiles(),
    vars: args.filter((arg) => arg.startsWith("-var=")),
    approval: answer,
    targets,
  });
  if (verb === "apply" && targets.length > 0 && state) {
    // A targeted apply changes only the targets: here, the bucket's force_destroy.
    if (bucket && targets.some((target) => target.startsWith("aws_s3_bucket."))) {
      bucket.instances[0].attributes.force_destroy = bucketForceDestroy();
    }
    writeFileSync(statePath(), JSON.stringify(state, null, 2));
  } else if (verb === "apply") writeFileSync(statePath(), JSON.stringify(fakeState(stack), null, 2));
  else rmSync(statePath(), { force: true });
  process.stdout.write(`recording-terraform: ${verb} of ${stack} recorded, not run\n`);
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
