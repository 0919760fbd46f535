import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TerraformError } from "../../scripts/lib/terraform";
import { renderMarkdown, renderText, summarizePlan } from "../../scripts/plan/summary";
import {
  checkTerraform,
  dependencyOrder,
  offlineOverride,
  PlanReviewError,
  parseArgs,
  seedStubStates,
  stubState,
  stubVariables,
  terraformEnv,
} from "../../scripts/plan-review";

const fixture = (name: string) =>
  JSON.parse(readFileSync(join(__dirname, "..", "fixtures", "plan", name), "utf8"));

describe("plan summary", () => {
  it("counts adds, changes, replacements and destroys of managed resources only", () => {
    const summary = summarizePlan("training", fixture("mixed.plan.json"));

    expect(summary).toMatchObject({ stack: "training", add: 2, change: 1, replace: 1, destroy: 1 });
    expect(summary.outputs).toEqual(["api_url", "vpc_id"]);
    expect(renderText(summary)).toBe("training: 2 to add, 1 to change, 1 to replace, 1 to destroy");
  });

  it("calls out every destroyed or replaced resource by address", () => {
    const markdown = renderMarkdown([summarizePlan("training", fixture("mixed.plan.json"))]);

    expect(markdown).toContain("| training | 2 | 1 | 1 | 1 |");
    expect(markdown).toContain("**training** destroys or replaces 2 resource(s)");
    expect(markdown).toContain("`aws_s3_bucket.old` (delete)");
    expect(markdown).toContain("`aws_lambda_function.f` (replace)");
  });

  it("raises no warning for a plan that only adds", () => {
    const markdown = renderMarkdown([
      summarizePlan("network", {
        resource_changes: [
          { address: "aws_vpc.v", mode: "managed", type: "aws_vpc", change: { actions: ["create"] } },
        ],
      }),
    ]);

    expect(markdown).not.toContain("WARNING");
  });
});

describe("offline plan review", () => {
  const training = {
    name: "training",
    dir: "/unused",
    dependencies: ["network"],
    config: { data: { terraform_remote_state: { network_state: { backend: "local", config: {} } } } },
  };
  const network = {
    name: "network",
    dir: "/unused",
    dependencies: [],
    config: { output: { vpc_id: {}, private_subnet_ids: {} } },
  };

  it("swaps in test credentials, a local backend and stub upstream state", () => {
    const override = offlineOverride(training, { network_state: "upstream-network.tfstate" });

    expect(override.provider.aws).toMatchObject({
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
    });
    expect(override.terraform.backend).toEqual({ local: { path: "terraform.tfstate" } });
    expect(override.data?.terraform_remote_state).toEqual({
      network_state: { backend: "local", config: { path: "upstream-network.tfstate" } },
    });
  });

  it("seeds a stub state holding every output the upstream stack declares", () => {
    const dir = mkdtempSync(join(tmpdir(), "plan-review-"));
    const stubs = { network: { vpc_id: "vpc-1", private_subnet_ids: ["subnet-1", "subnet-2"] } };

    const paths = seedStubStates(training, [network, training], stubs, dir);

    const state = JSON.parse(readFileSync(join(dir, paths.network_state as string), "utf8"));
    expect(state.version).toBe(4);
    expect(state.outputs.private_subnet_ids).toEqual({
      value: ["subnet-1", "subnet-2"],
      type: ["list", "string"],
    });
  });

  it("refuses to plan when the stub lacks an output the upstream declares", () => {
    const dir = mkdtempSync(join(tmpdir(), "plan-review-"));

    const seed = () => seedStubStates(training, [network, training], { network: { vpc_id: "vpc-1" } }, dir);

    expect(seed).toThrow(PlanReviewError);
    expect(seed).toThrow("lacks network output(s) private_subnet_ids");
  });

  it("writes state the remote-state data source can read", () => {
    expect(JSON.parse(stubState({ enabled: true, count: 2 })).outputs).toEqual({
      enabled: { value: true, type: "bool" },
      count: { value: 2, type: "number" },
    });
  });

  it("fails, not skips, when terraform is not installed, saying how to install it", () => {
    const run = () => checkTerraform({ PATH: "/nonexistent" });

    expect(run).toThrow(TerraformError);
    expect(run).toThrow('"terraform" was not found: install Terraform 1.10 or later');
  });

  it("stubs the classifier ARN only for a stack that declares it and a file that does not set it", () => {
    const inference = {
      ...training,
      name: "inference",
      config: { variable: { document_classifier_arn: {} } },
    };
    const stubs = { variables: { document_classifier_arn: "arn:stub" } };

    expect(stubVariables(inference, 'region = "us-east-1"\n', stubs)).toEqual({
      document_classifier_arn: "arn:stub",
    });
    expect(stubVariables(inference, '# document_classifier_arn = "x"\n', stubs)).toEqual({
      document_classifier_arn: "arn:stub",
    });
    expect(stubVariables(inference, 'document_classifier_arn = "arn:mine"\n', stubs)).toEqual({});
    expect(stubVariables(network, "", stubs)).toEqual({});
  });

  it("uses the shipped CLI config only when the provider mirror exists and no usable config is set", () => {
    const env = terraformEnv(false, { TF_CLI_CONFIG_FILE: "/nonexistent/.terraformrc" });

    expect(env.TF_CLI_CONFIG_FILE).toMatch(/terraform\/offline\.tfrc$/);
    expect(terraformEnv(true, {}).TF_CLI_CONFIG_FILE).toBeUndefined();
  });

  it("plans upstream stacks before the stacks that read their state", () => {
    const order = dependencyOrder([
      { name: "inference", dependencies: ["network", "training"] },
      { name: "network", dependencies: [] },
      { name: "training", dependencies: ["network"] },
    ]).map((stack) => stack.name);

    expect(order).toEqual(["network", "training", "inference"]);
    expect(() => dependencyOrder([{ name: "a", dependencies: ["b"] }])).toThrow(
      "cycle or name a missing stack: a",
    );
  });

  it("points the CLI config at another provider mirror when TF_PROVIDER_MIRROR names one", () => {
    const mirror = mkdtempSync(join(tmpdir(), "mirror-"));

    const env = terraformEnv(false, { TF_PROVIDER_MIRROR: mirror });

    expect(readFileSync(env.TF_CLI_CONFIG_FILE as string, "utf8")).toContain(
      `path    = ${JSON.stringify(mirror)}`,
    );
    expect(terraformEnv(false, { TF_PROVIDER_MIRROR: "/nonexistent" }).TF_CLI_CONFIG_FILE).toBeUndefined();
  });

  it("reads the stacks to plan and refuses an unknown flag with the usage", () => {
    expect(
      parseArgs(["--stacks", "network,training", "--var-file", "terraform.tfvars.example"], {}).stacks,
    ).toEqual(["network", "training"]);
    expect(() => parseArgs(["--bogus"], {})).toThrow("Unknown option '--bogus'");
    expect(() => parseArgs(["--bogus"], {})).toThrow("Usage: npm run plan");
  });

  it("answers --help without choosing a variables file", () => {
    expect(parseArgs(["--help"], {}).help).toBe(true);
  });
});
