/**
 * What `npm run deploy` and `destroy` rely on in Terraform itself, shown by running the real terraform (offline:
 * init from the provider mirror, graph and plan need no account) rather than assumed.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resourcesOf, type SynthesizedApp, synthesizeApp } from "./synthesized";

const MIRROR_CONFIG = join(__dirname, "..", "..", "terraform", "offline.tfrc");
const pluginCache = join(tmpdir(), "recording-terraform-plugin-cache");

function terraform(args: string[], cwd: string) {
  const result = spawnSync("terraform", args, {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      CHECKPOINT_DISABLE: "1",
      TF_IN_AUTOMATION: "1",
      TF_PLUGIN_CACHE_DIR: pluginCache,
      ...(existsSync("/opt/tf-plugins") && { TF_CLI_CONFIG_FILE: MIRROR_CONFIG }),
    },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

let work: string;
let app: SynthesizedApp;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "terraform-behaviour-"));
  mkdirSync(pluginCache, { recursive: true });
  app = synthesizeApp();
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("Terraform, run for real", () => {
  it("refuses a command-line value for a variable the configuration does not declare, and only warns for a file", () => {
    // Prepare: a configuration with one variable, as each stack declares only its own.
    const dir = join(work, "undeclared");
    mkdirSync(dir);
    writeFileSync(join(dir, "main.tf.json"), JSON.stringify({ variable: { declared: { type: "string" } } }));
    writeFileSync(join(dir, "shared.tfvars"), 'declared = "a"\nnotification_email = "ops@example.org"\n');

    // Act
    const fromFlag = terraform(
      ["plan", "-input=false", "-no-color", "-var=declared=a", "-var=notification_email=ops@example.org"],
      dir,
    );
    const fromFile = terraform(["plan", "-input=false", "-no-color", "-var-file=shared.tfvars"], dir);

    // Assess: why `npm run deploy` passes each stack only the --var values it declares.
    expect(fromFlag.status).toBe(1);
    expect(fromFlag.stderr).toContain("Value for undeclared variable");
    expect(fromFile.status).toBe(0);
    expect(`${fromFile.stdout}${fromFile.stderr}`).toContain("Value for undeclared variable");
  });

  it("destroys the data bucket before the key that encrypts it: the bucket depends on the key", () => {
    // Prepare: the synthesized data stack with a local backend.
    const dir = join(work, "data");
    cpSync(join(app.outdir, "stacks", "data"), dir, { recursive: true });
    writeFileSync(
      join(dir, "zz_override.tf.json"),
      JSON.stringify({ terraform: { backend: { local: { path: "terraform.tfstate" } } } }),
    );
    expect(terraform(["init", "-input=false", "-no-color"], dir).status).toBe(0);
    const [bucket] = resourcesOf(app.stacks.data as never, "aws_s3_bucket")[0] as [string, unknown];
    const [key] = resourcesOf(app.stacks.data as never, "aws_kms_key")[0] as [string, unknown];

    // Act
    const graph = terraform(["graph"], dir);

    // Assess: Terraform destroys in the reverse order of dependencies ("The depends_on Meta-Argument",
    // Terraform language docs), so a path bucket -> key means the bucket goes first.
    expect(graph.status).toBe(0);
    const edges = [...graph.stdout.matchAll(/^\s*"([^"]+)" -> "([^"]+)";$/gm)].map((m) => [m[1], m[2]]);
    const reachable = new Set([`aws_s3_bucket.${bucket}`]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const [from, to] of edges) {
        if (reachable.has(from as string) && !reachable.has(to as string)) {
          reachable.add(to as string);
          grew = true;
        }
      }
    }
    expect(reachable).toContain(`aws_kms_key.${key}`);
  });

  it("plans no change to the endpoint's invocation after the schedules paused and resumed it, and an update once its input changes", () => {
    // Prepare: the inference stack's terraform_data and CRUD invocation as state holds them after a deploy.
    // The schedules delete and re-create the endpoint without touching this state; the plan's refresh runs
    // here without network or account, so the provider reads the invocation without calling Lambda.
    const dir = join(work, "invocation");
    mkdirSync(dir);
    const desired = { endpoint_name: "itsr-endpoint", desired_inference_units: 1 };
    const config = (units: number) => ({
      terraform: { required_providers: { aws: { source: "hashicorp/aws", version: "5.100.0" } } },
      provider: {
        aws: {
          region: "us-east-1",
          access_key: "AKIAIOSFODNN7EXAMPLE",
          secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
          skip_credentials_validation: true,
          skip_requesting_account_id: true,
          skip_metadata_api_check: "true",
        },
      },
      resource: {
        terraform_data: { desired: { input: { ...desired, desired_inference_units: units } } },
        aws_lambda_invocation: {
          lifecycle: {
            function_name: "itsr-endpoint-lifecycle",
            input: "${jsonencode(terraform_data.desired.output)}",
            lifecycle_scope: "CRUD",
            terraform_key: "tf",
          },
        },
      },
    });
    const objectType = ["object", { endpoint_name: "string", desired_inference_units: "number" }];
    writeFileSync(
      join(dir, "terraform.tfstate"),
      JSON.stringify({
        version: 4,
        terraform_version: "1.11.4",
        serial: 3,
        lineage: "3f1c2d4e-5a6b-7c8d-9e0f-112233445566",
        outputs: {},
        resources: [
          {
            mode: "managed",
            type: "terraform_data",
            name: "desired",
            provider: 'provider["terraform.io/builtin/terraform"]',
            instances: [
              {
                schema_version: 0,
                attributes: {
                  id: "c0ffee00-0000-4000-8000-000000000001",
                  input: { value: desired, type: objectType },
                  output: { value: desired, type: objectType },
                  triggers_replace: null,
                },
                sensitive_attributes: [],
              },
            ],
          },
          {
            mode: "managed",
            type: "aws_lambda_invocation",
            name: "lifecycle",
            provider: 'provider["registry.terraform.io/hashicorp/aws"]',
            instances: [
              {
                schema_version: 0,
                attributes: {
                  id: "itsr-endpoint-lifecycle_$LATEST_c0ffee",
                  function_name: "itsr-endpoint-lifecycle",
                  input: JSON.stringify({ desired_inference_units: 1, endpoint_name: "itsr-endpoint" }),
                  lifecycle_scope: "CRUD",
                  qualifier: "$LATEST",
                  result: JSON.stringify({ status: "IN_SERVICE" }),
                  terraform_key: "tf",
                  triggers: null,
                },
                sensitive_attributes: [],
                dependencies: ["terraform_data.desired"],
              },
            ],
          },
        ],
      }),
    );
    writeFileSync(join(dir, "main.tf.json"), JSON.stringify(config(1)));
    expect(terraform(["init", "-input=false", "-no-color"], dir).status).toBe(0);

    // Act
    const unchanged = terraform(["plan", "-input=false", "-no-color", "-detailed-exitcode"], dir);
    writeFileSync(join(dir, "main.tf.json"), JSON.stringify(config(2)));
    const changed = terraform(["plan", "-input=false", "-no-color", "-detailed-exitcode"], dir);

    // Assess: 0 = no changes (the deploy after a pause and a resume), 2 = changes (a real change still updates).
    expect(unchanged.stdout).toContain("No changes.");
    expect(unchanged.status).toBe(0);
    expect(changed.status).toBe(2);
    expect(changed.stdout).toMatch(/aws_lambda_invocation\.lifecycle will be updated in-place/);
  });
});
