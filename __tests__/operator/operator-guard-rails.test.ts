/**
 * The operator's path beyond the documented commands, run for real in a fresh copy of the project against a
 * Terraform that records apply and destroy: the refusals, the data stack's deletion, --var, retraining and
 * rollback, and every documented script's help. (A file of its own, so that jest runs it beside the other.)
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ARN } from "../fixtures/notify/classifiers";
import { trainingFinishedEmail } from "./documented-commands";
import { ProjectCopy, repoRoot } from "./project-copy";

jest.setTimeout(300_000);

const emailTfvarsLine = () =>
  /document_classifier_arn = "[^"]+"/.exec(trainingFinishedEmail())?.[0] as string;

let project: ProjectCopy;
beforeAll(() => {
  project = new ProjectCopy();
});
afterAll(() => project.remove());
beforeEach(() => project.reset());

describe("deploying stacks out of order", () => {
  it("refuses a stack whose upstream is not deployed, changes nothing, and names the command that works", () => {
    // Act
    const refused = project.run("npm run deploy -- training");

    // Assess
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(
      "training reads the outputs of data; training reads the outputs of network, and data and network are not deployed yet. Nothing was changed.",
    );
    expect(project.changes("apply")).toEqual([]);
    const suggested = /npm run deploy -- [a-z ]+$/m.exec(refused.stderr)?.[0] as string;
    expect(suggested).toBe("npm run deploy -- data network training");
    expect(project.run(suggested).status).toBe(0);
    expect(project.changes("apply")).toEqual(["data", "network", "training"]);
  });

  it("orders the stacks by their dependencies whatever order they are named in", () => {
    project.writeTfvars(`${project.tfvars()}${emailTfvarsLine()}\n`);

    const result = project.run("npm run deploy -- inference training network data --auto-approve");

    expect(result.status).toBe(0);
    expect(project.changes("apply")).toEqual(["data", "network", "training", "inference"]);
  });

  it("asks for the classifier ARN before deploying inference from a fresh tfvars, without touching Terraform", () => {
    const result = project.run("npm run deploy -- inference");

    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      'terraform.tfvars does not set document_classifier_arn, which the inference stack serves. Pass the ARN from the "Training finished" email: npm run deploy -- inference --classifier-arn <arn>',
    );
    expect(project.recorded()).toEqual([]);
  });

  it("rejects an ARN that is not a classifier's, leaving terraform.tfvars as it was", () => {
    const before = project.tfvars();

    const result = project.run("npm run deploy -- inference --classifier-arn arn:aws:s3:::bucket");

    expect(result.status).toBe(2);
    expect(result.stderr).toContain("--classifier-arn must be a Comprehend document classifier ARN");
    expect(project.tfvars()).toBe(before);
  });
});

describe("destroying stacks out of order", () => {
  it("refuses to destroy network while training exists, and the command it names works", () => {
    project.seedDeployed(["data", "network", "training"]);
    project.clearRecord();

    const refused = project.run("npm run destroy -- network --auto-approve");

    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(
      "Refusing to destroy network: training (1 resource) reads the outputs of network",
    );
    expect(project.changes("destroy")).toEqual([]);
    const suggested = /npm run destroy -- [a-z ]+$/m.exec(refused.stderr)?.[0] as string;
    expect(suggested).toBe("npm run destroy -- training");
    expect(project.run(suggested).status).toBe(0);
    expect(project.run("npm run destroy -- network").status).toBe(0);
    expect(project.changes("destroy")).toEqual(["training", "network"]);
    expect(project.deployed()).toEqual(["data"]);
  });

  it("keeps the data stack unless bucket_force_destroy = true confirms deleting everything", () => {
    project.seedDeployed(["data"]);
    project.clearRecord();

    const refused = project.run("npm run destroy -- data --auto-approve");

    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain("Destroying the data stack deletes the bucket with every dataset");
    expect(refused.stderr).toContain("set bucket_force_destroy = true in terraform.tfvars");
    expect(project.recorded()).toEqual([]);

    project.writeTfvars(
      project.tfvars().replace(/^bucket_force_destroy\s*=\s*false/m, "bucket_force_destroy = true"),
    );
    const deleted = project.run("npm run destroy -- data --auto-approve");
    expect(deleted.status).toBe(0);
    expect(project.changes("destroy")).toEqual(["data"]);
    expect(deleted.stdout).toContain(
      "Deleted: the bucket comprehend-itsr-data-20261124000000000000000001 with every object and object version in it",
    );
    expect(deleted.stdout).toContain(
      "aws kms cancel-key-deletion --key-id arn:aws:kms:us-east-1:111122223333:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789",
    );
  });

  it("deletes a bucket that holds data in one go: force_destroy goes into the bucket's state before the destroy", () => {
    // Prepare: deployed with the default, so the state says force_destroy = false, as a real deployment's does.
    project.seedDeployed(["data"]);
    project.writeTfvars(
      project.tfvars().replace(/^bucket_force_destroy\s*=\s*false/m, "bucket_force_destroy = true"),
    );
    project.clearRecord();

    // Act
    const result = project.run("npm run destroy -- data --auto-approve");

    // Assess: the recording Terraform refuses to delete a bucket whose state lacks force_destroy (BucketNotEmpty),
    // as the provider does; the command applies the setting to the bucket alone first.
    expect(result.status).toBe(0);
    const [apply, destroy] = project.recorded().filter((entry) => entry.verb !== "init");
    expect(apply).toMatchObject({
      verb: "apply",
      stack: "data",
      targets: [expect.stringMatching(/^aws_s3_bucket\./)],
    });
    expect(destroy).toMatchObject({ verb: "destroy", stack: "data" });
    expect(project.deployed()).toEqual([]);
  });

  it("applies nothing when the data stack is not deployed: a targeted apply would create the bucket", () => {
    project.writeTfvars(
      project.tfvars().replace(/^bucket_force_destroy\s*=\s*false/m, "bucket_force_destroy = true"),
    );

    const result = project.run("npm run destroy -- data --auto-approve");

    expect(result.status).toBe(0);
    expect(project.changes("apply")).toEqual([]);
    expect(project.deployed()).toEqual([]);
  });

  it("without that first step, the recording Terraform fails on the bucket as the provider does", () => {
    // The same state, destroyed straight away with the setting only in the variables file.
    project.seedDeployed(["data"]);
    project.writeTfvars(
      project.tfvars().replace(/^bucket_force_destroy\s*=\s*false/m, "bucket_force_destroy = true"),
    );

    const result = project.run(
      "cd cdktf.out/stacks/data && $TERRAFORM_BINARY_NAME destroy -auto-approve -var-file=../../../terraform.tfvars",
    );

    expect(result.status).toBe(1);
    expect(result.stderr).toContain("BucketNotEmpty");
    expect(project.deployed()).toEqual(["data"]);
  });
});

describe("before anything else", () => {
  it("says there are no credentials in one line, before a synth or Terraform", () => {
    const result = project.run(
      "env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent npm run --silent deploy -- data network training",
    );

    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(
      /^error: No usable AWS credentials, and Terraform needs them to deploy: set AWS_PROFILE \(and log in, e\.g\. aws sso login\) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY for the account to deploy to\. Nothing was changed\./,
    );
    expect(result.stdout).not.toContain("bundled");
    expect(project.recorded()).toEqual([]);
  });

  it("refuses a Region without Comprehend custom classification, naming the ones with it", () => {
    project.writeTfvars(project.tfvars().replace(/^region\s*=.*$/m, 'region = "sa-east-1"'));

    const result = project.run("npm run --silent deploy -- data");

    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      "terraform.tfvars sets region to sa-east-1, where Amazon Comprehend custom classification is not available. Nothing was changed. Choose one of: us-east-2, us-east-1,",
    );
    expect(project.recorded()).toEqual([]);
  });
});

describe("a teammate's fresh clone", () => {
  it("can initialize a stack for the guides' terraform output commands with the two commands the guide gives", () => {
    // The guide's commands as written (with the local backend here: the S3 backend needs an account), with the
    // provider from the offline mirror as on this machine.
    const mirror = existsSync("/opt/tf-plugins")
      ? `TF_CLI_CONFIG_FILE=${join(repoRoot, "terraform", "offline.tfrc")} `
      : "";

    const result = project.run(
      `npm run synth && ${mirror}terraform -chdir=cdktf.out/stacks/training init -input=false`,
    );

    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Terraform has been successfully initialized!");
  });
});

describe("the example's address", () => {
  it("is refused by a deploy of the training stack, naming the line to edit, before anything changes", () => {
    project.writeTfvars(readFileSync(join(project.dir, "terraform.tfvars.example"), "utf8"));
    const line =
      project
        .tfvars()
        .split("\n")
        .findIndex((text) => text.startsWith("notification_email")) + 1;

    const result = project.run("npm run deploy -- data network training");

    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      `terraform.tfvars, line ${line}, sets notification_email to ops@example.com, an address of a domain reserved for examples: the pipeline's emails would reach nobody. Nothing was changed.`,
    );
    expect(project.recorded()).toEqual([]);
  });

  it("leaves the plan review alone, which still refuses an unknown stack before bundling anything", () => {
    project.writeTfvars(readFileSync(join(project.dir, "terraform.tfvars.example"), "utf8"));

    const plan = project.run("npm run plan -- --stacks bogus");

    expect(plan.status).toBe(1);
    expect(plan.stderr).toBe(
      "error: plan review failed: unknown stack(s): bogus. The stacks are data, network, training, inference.\n",
    );
    expect(plan.stdout).not.toContain("bundled");
  });
});

describe("--var with several stacks", () => {
  it("gives each stack only the variables it declares", () => {
    const result = project.run(
      "npm run deploy -- data network training --auto-approve --var notification_email=ops@service-desk.test --var vpc_cidr=10.0.4.0/24",
    );

    expect(result.status).toBe(0);
    const vars = Object.fromEntries(
      project
        .recorded()
        .filter((entry) => entry.verb === "apply")
        .map((entry) => [entry.stack, entry.vars]),
    );
    expect(vars).toEqual({
      data: [],
      network: ["-var=vpc_cidr=10.0.4.0/24"],
      training: ["-var=notification_email=ops@service-desk.test"],
    });
  });

  it("refuses a variable none of the named stacks declares, before changing anything", () => {
    const result = project.run("npm run deploy -- data network --var notification_emial=ops@example.org");

    expect(result.status).toBe(2);
    expect(result.stderr).toContain(
      "--var notification_emial: no stack of this command (data, network) declares it. Nothing was changed.",
    );
    expect(project.recorded().filter((entry) => entry.verb === "apply")).toEqual([]);
  });
});

describe("retraining and rollback", () => {
  const NEW_ARN = ARN.replace(/3fa9c2d41b7e/g, "77aa00bb11cc");

  it("moves the endpoint to the new classifier with one command and prints the rollback command, which works", () => {
    // Prepare: the first model is served.
    project.seedDeployed(["data", "network", "training"]);
    expect(project.run(`npm run deploy -- inference --classifier-arn ${ARN}`).status).toBe(0);
    project.clearRecord();

    // Act
    const retrained = project.run(`npm run deploy -- inference --classifier-arn ${NEW_ARN}`);

    // Assess
    expect(retrained.status).toBe(0);
    expect(project.tfvars().match(/^document_classifier_arn = .*$/gm)).toEqual([
      `document_classifier_arn = "${NEW_ARN}"`,
    ]);
    expect(project.changes("apply")).toEqual(["inference"]);
    expect(project.changes("destroy")).toEqual([]);
    const rollback = /npm run deploy -- inference --classifier-arn \S+(?=\))/.exec(
      retrained.stdout,
    )?.[0] as string;
    expect(rollback).toBe(`npm run deploy -- inference --classifier-arn ${ARN}`);
    expect(project.run(rollback).status).toBe(0);
    expect(project.tfvars()).toContain(`document_classifier_arn = "${ARN}"`);
  });
});

describe("the email's tfvars line and the plan review of the user's own file", () => {
  it("appended to a fresh copy of the example, gives a file Terraform plans with that ARN", () => {
    // Prepare
    project.writeTfvars(
      `${readFileSync(join(project.dir, "terraform.tfvars.example"), "utf8")}${emailTfvarsLine()}\n`,
    );

    // Act
    const plan = project.run("npm run plan -- --stacks inference");

    // Assess
    expect(plan.stderr).not.toMatch(/Attribute redefined/);
    expect(plan.status).toBe(0);
    expect(plan.stdout).toContain("variables: terraform.tfvars\n");
    expect(plan.stdout).not.toContain("plans with the stub");
    const planJson = JSON.parse(
      readFileSync(join(project.dir, "plan-review", "inference.plan.json"), "utf8"),
    );
    expect(planJson.variables.document_classifier_arn.value).toBe(ARN);
  });
});

/** Every user-facing script the README and docs name (not the developer's checks). */
const documentedScripts = [
  ...new Set(
    [
      "README.md",
      ...readdirSync(join(repoRoot, "docs"))
        .filter((file) => file.endsWith(".md"))
        .map((f) => join("docs", f)),
    ].flatMap((path) =>
      [...readFileSync(join(repoRoot, path), "utf8").matchAll(/npm run ([a-z][a-z0-9:-]*)/g)].map(
        (m) => m[1] as string,
      ),
    ),
  ),
].filter((script) => !/^(test|lint|format|synth|typecheck|build)(:|$)/.test(script));

describe("help and mistakes", () => {
  it("covers the scripts a user is told about", () => {
    expect(documentedScripts).toEqual(
      expect.arrayContaining([
        "plan",
        "deploy",
        "destroy",
        "status",
        "etl",
        "classify",
        "bench:etl",
        "plan:comment",
        "tfvars",
      ]),
    );
  });

  it.each(documentedScripts)("npm run %s -- --help prints its usage without side effects", (script) => {
    const result = project.run(`npm run --silent ${script} -- --help`);

    expect(result.status).toBe(0);
    expect(`${result.stdout}`).toMatch(new RegExp(`npm run ${script}`));
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(project.recorded()).toEqual([]);
    expect(project.tfvars()).toBe(project.exampleWithEmail());
  });

  it("tells a user that plan:comment belongs in a pull-request job, without a stack trace", () => {
    const result = project.run("npm run --silent plan:comment");

    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      "error: plan:comment runs in a GitHub Actions pull-request job: missing environment variable(s): GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_EVENT_PATH\n",
    );
  });

  it("says how to install Terraform when there is none, with no stack trace", () => {
    const result = project.run("TERRAFORM_BINARY_NAME=/nonexistent/terraform npm run --silent plan");

    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      '"/nonexistent/terraform" was not found: install Terraform 1.10 or later',
    );
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});
