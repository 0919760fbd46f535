/**
 * docs/deployer-policy.json, the permissions of the identity that runs `npm run deploy`, checked against what
 * the stacks create: every resource and data source type needs its service granted, and every named resource
 * must fall under the policy's name-prefix patterns.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type SynthesizedApp, synthesizeApp } from "../stacks/synthesized";

interface Statement {
  readonly Effect: string;
  readonly Action: readonly string[];
  readonly Resource: string | readonly string[];
}

const policy = JSON.parse(
  readFileSync(join(__dirname, "..", "..", "docs", "deployer-policy.json"), "utf8"),
) as {
  Statement: Statement[];
};

/** The IAM service each Terraform type of the AWS provider calls (a new type must be added here and granted). */
const SERVICE_OF: readonly [RegExp, string][] = [
  [/^aws_s3_/, "s3"],
  [/^aws_iam_(role|role_policy|role_policy_attachment)$/, "iam"],
  [/^aws_lambda_/, "lambda"],
  [/^aws_cloudwatch_log_(group|metric_filter)$/, "logs"],
  [/^aws_cloudwatch_(metric_alarm|dashboard)$/, "cloudwatch"],
  [/^aws_scheduler_/, "scheduler"],
  [/^aws_cloudwatch_event_/, "events"],
  [/^aws_sns_/, "sns"],
  [/^aws_kms_/, "kms"],
  [/^aws_efs_/, "elasticfilesystem"],
  [/^aws_api_gateway_/, "apigateway"],
  [/^aws_appautoscaling_/, "application-autoscaling"],
  [/^aws_budgets_/, "budgets"],
  [/^aws_ce_/, "ce"],
  [
    /^aws_(vpc|subnet|route_table|default_route_table|security_group|default_security_group|flow_log|vpc_endpoint|vpc_security_group_\w+)/,
    "ec2",
  ],
];
/** Types that call no AWS API, or read only the stacks' own state (granted with the state bucket). */
const LOCAL = new Set(["terraform_data", "aws_iam_policy_document", "terraform_remote_state"]);

function granted(service: string): boolean {
  return policy.Statement.some(
    (statement) =>
      statement.Effect === "Allow" &&
      statement.Action.some((action) => action === `${service}:*` || action.startsWith(`${service}:`)),
  );
}

let app: SynthesizedApp;
beforeAll(() => {
  app = synthesizeApp();
});

describe("the deploying identity's policy", () => {
  it("grants the service of every resource and data source type the stacks use", () => {
    const types = new Set(
      Object.values(app.stacks).flatMap((stack) => [
        ...Object.keys(stack.resource ?? {}),
        ...Object.keys(stack.data ?? {}),
      ]),
    );
    const missing = [...types]
      .filter((type) => !LOCAL.has(type))
      .map((type) => [type, SERVICE_OF.find(([pattern]) => pattern.test(type))?.[1]] as const)
      .filter(([, service]) => service === undefined || !granted(service));

    expect(missing).toEqual([]);
    expect(types.size).toBeGreaterThan(40);
  });

  it("covers every named resource with its name-prefix patterns", () => {
    const named: [string, string, string][] = [
      ["aws_iam_role", "name", "${var.name_prefix}-"],
      ["aws_lambda_function", "function_name", "${var.name_prefix}-"],
      ["aws_sns_topic", "name", "${var.name_prefix}-"],
      ["aws_cloudwatch_event_rule", "name", "${var.name_prefix}-"],
      ["aws_cloudwatch_metric_alarm", "alarm_name", "${var.name_prefix}--"],
      ["aws_cloudwatch_dashboard", "dashboard_name", "${var.name_prefix}-"],
      ["aws_scheduler_schedule", "name", "${var.name_prefix}-"],
      ["aws_s3_bucket", "bucket_prefix", "${var.name_prefix}-data-"],
    ];
    for (const [type, attribute, start] of named) {
      const names = Object.values(app.stacks).flatMap((stack) =>
        Object.values(stack.resource?.[type] ?? {}).map((resource) => String(resource[attribute])),
      );
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) expect(name.startsWith(start)).toBe(true);
    }
    const logGroups = Object.values(app.stacks).flatMap((stack) =>
      Object.values(stack.resource?.aws_cloudwatch_log_group ?? {}).map((group) => String(group.name)),
    );
    const patterns = policy.Statement.flatMap((statement) => [statement.Resource].flat()).filter((arn) =>
      arn.includes(":log-group:"),
    );
    const uncovered = logGroups
      .map((group) => group.replace("${var.name_prefix}", "comprehend-itsr"))
      .filter(
        (group) =>
          !patterns.some((arn) =>
            new RegExp(`^${(arn.split(":log-group:")[1] ?? "").replace(/\*/g, ".*")}$`).test(group),
          ),
      );
    expect(uncovered).toEqual([]);
  });
});
