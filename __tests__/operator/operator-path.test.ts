/**
 * The operator's path, run for real: every documented deploy and destroy command, as written, in a fresh
 * copy of the project with the example tfvars copied, against a Terraform that records apply and destroy.
 */
import { join } from "node:path";
import { ARN } from "../fixtures/notify/classifiers";
import { asTyped, documentedCommands, shapeOf, trainingFinishedEmail } from "./documented-commands";
import { ProjectCopy, STACK_ORDER } from "./project-copy";

jest.setTimeout(300_000);

const DEPENDS_ON: Record<string, string[]> = {
  data: [],
  network: ["data"],
  training: ["data", "network"],
  inference: ["data", "network"],
};
const ordered = (stacks: readonly string[]) => STACK_ORDER.filter((stack) => stacks.includes(stack));
const upstreamOf = (stacks: readonly string[]) =>
  ordered(stacks.flatMap((stack) => DEPENDS_ON[stack] ?? []).filter((stack) => !stacks.includes(stack)));
const emailTfvarsLine = () =>
  /document_classifier_arn = "[^"]+"/.exec(trainingFinishedEmail())?.[0] as string;

const runnable = documentedCommands()
  .map((command) => ({ ...command, typed: asTyped(command.written) }))
  .filter((command) => {
    const shape = shapeOf(command.typed);
    return (
      shape.stacks.length > 0 &&
      shape.stacks.every((stack) => (STACK_ORDER as readonly string[]).includes(stack))
    );
  });
const byTyped = new Map<string, string[]>();
for (const command of runnable)
  byTyped.set(command.typed, [...(byTyped.get(command.typed) ?? []), command.source]);

let project: ProjectCopy;
beforeAll(() => {
  project = new ProjectCopy();
});
afterAll(() => project.remove());
beforeEach(() => project.reset());

describe("every documented deploy and destroy command", () => {
  it("finds the commands of the README, the guides, the CI job, the email and the CLI hints", () => {
    const sources = new Set(runnable.map((command) => command.source));

    expect(sources).toEqual(
      new Set([
        "README.md",
        "docs/operator-guide.md",
        "docs/troubleshooting.md",
        "docs/architecture.md",
        ".github/workflows/plan-review.yml",
        "training-finished email",
        "model-compared email",
        "npm run deploy -- --help",
        "npm run destroy -- --help",
        "npm run classify hint",
        "endpoint-idle alarm",
      ]),
    );
    expect(byTyped.size).toBeGreaterThanOrEqual(8);
  });

  it.each([...byTyped.entries()])("%s (from %j) works as written", (typed) => {
    // Prepare: what the guide assumes has happened before this command.
    const shape = shapeOf(typed);
    const deployed =
      shape.verb === "deploy"
        ? upstreamOf(shape.stacks)
        : ordered([...shape.stacks, ...upstreamOf(shape.stacks)]);
    project.seedDeployed(deployed);
    if (shape.stacks.includes("inference") && shape.classifierArn === undefined) {
      project.writeTfvars(`${project.tfvars()}${emailTfvarsLine()}\n`);
    }
    if (shape.verb === "destroy" && shape.stacks.includes("data")) {
      // The guides' step before deleting everything: the deliberate confirmation.
      project.writeTfvars(
        project.tfvars().replace(/^bucket_force_destroy\s*=\s*false/m, "bucket_force_destroy = true"),
      );
    }
    project.clearRecord();

    // Act
    const result = project.run(typed);

    // Assess
    expect({ status: result.status, stderr: result.stderr.slice(-2000) }).toEqual({
      status: 0,
      stderr: expect.any(String),
    });
    const verb = shape.verb === "deploy" ? "apply" : "destroy";
    const expected = shape.verb === "deploy" ? ordered(shape.stacks) : ordered(shape.stacks).reverse();
    expect(project.changes(verb)).toEqual(expected);
    // Deleting the data stack first puts force_destroy into the bucket's state, with an apply of the bucket alone.
    const deletesData = shape.verb === "destroy" && shape.stacks.includes("data");
    expect(project.changes(verb === "apply" ? "destroy" : "apply")).toEqual(deletesData ? ["data"] : []);
    for (const entry of project.recorded().filter((e) => e.verb === verb)) {
      expect(entry.varFiles?.map((file) => file.path)).toEqual([join(project.dir, "terraform.tfvars")]);
      if (entry.stack === "inference" && verb === "apply") {
        expect(entry.varFiles?.[0]?.content).toContain(
          `document_classifier_arn = "${shape.classifierArn ?? ARN}"`,
        );
      }
      if (shape.flags.includes("--auto-approve")) expect(entry.approval).toBe("auto-approve");
    }
    expect(project.deployed()).toEqual(
      shape.verb === "deploy"
        ? ordered([...deployed, ...shape.stacks])
        : deployed.filter((stack) => !shape.stacks.includes(stack)),
    );
  });
});
