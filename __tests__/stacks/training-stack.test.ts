import { ETL_COMPLETED_FILTER } from "../../stacks/constructs/training-pipeline";
import {
  dataOf,
  onlyResource,
  policyStatements,
  referencedName,
  resourcesOf,
  type StackJson,
  synthesizeApp,
} from "./synthesized";

let training: StackJson;

beforeAll(() => {
  training = synthesizeApp().stacks.training as StackJson;
});

const one = (type: string) => onlyResource(training, type);

describe("training stack", () => {
  it("encrypts the app's data with one rotating customer-managed key", () => {
    const key = one("aws_kms_key");
    expect(key.enable_key_rotation).toBe(true);
    const [keyName] = resourcesOf(training, "aws_kms_key")[0] as [string, unknown];

    const encryption = one("aws_s3_bucket_server_side_encryption_configuration") as {
      rule: {
        apply_server_side_encryption_by_default: { sse_algorithm: string; kms_master_key_id: string };
      }[];
    };
    const byDefault = encryption.rule[0]?.apply_server_side_encryption_by_default;
    expect(byDefault?.sse_algorithm).toBe("aws:kms");
    expect(referencedName(byDefault?.kms_master_key_id)).toBe(keyName);
    expect(one("aws_efs_file_system")).toMatchObject({ encrypted: true });
    expect(referencedName(one("aws_efs_file_system").kms_key_id)).toBe(keyName);
    expect(referencedName(one("aws_sns_topic").kms_master_key_id)).toBe(keyName);
  });

  it("keeps the bucket private, versioned, owner-enforced and HTTPS-only, and deletable only when asked", () => {
    expect(one("aws_s3_bucket").force_destroy).toBe("${var.bucket_force_destroy}");
    expect(training.variable.bucket_force_destroy?.default).toBe(false);
    expect(one("aws_s3_bucket_versioning")).toMatchObject({
      versioning_configuration: { status: "Enabled" },
    });
    expect(one("aws_s3_bucket_public_access_block")).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(one("aws_s3_bucket_ownership_controls")).toMatchObject({
      rule: { object_ownership: "BucketOwnerEnforced" },
    });

    const denyInsecure = policyStatements(training).find(
      ({ document, statement }) =>
        referencedName(one("aws_s3_bucket_policy").policy) === document && statement.effect === "Deny",
    );
    expect(denyInsecure?.statement.condition).toEqual([
      { test: "Bool", variable: "aws:SecureTransport", values: ["false"] },
    ]);
  });

  it("gives the ETL an EFS work space through an access point pinned to /mnt/data as uid/gid 1001", () => {
    expect(one("aws_efs_access_point")).toMatchObject({
      posix_user: { uid: 1001, gid: 1001 },
      root_directory: { path: "/mnt/data", creation_info: { owner_uid: 1001, owner_gid: 1001 } },
    });
    expect(resourcesOf(training, "aws_efs_mount_target")).toHaveLength(2);
    const etl = resourcesOf(training, "aws_lambda_function").find(
      ([, fn]) => fn.handler && fn.file_system_config,
    );
    expect(etl?.[1].file_system_config).toMatchObject({ local_mount_path: "/mnt/data" });
  });

  it("tells the notify function the reports prefix the ETL writes to, so its emails point at real reports", () => {
    const variables = resourcesOf(training, "aws_lambda_function").map(
      ([, fn]) => (fn.environment as { variables: Record<string, string> }).variables,
    );
    const prefixes = variables.flatMap((v) => (v.REPORTS_PREFIX ? [v.REPORTS_PREFIX] : []));
    expect(prefixes).toEqual(["reports/", "reports/"]);
  });

  it("runs every function on Node.js 22 inside the VPC, with JSON logs kept for a set time", () => {
    const functions = resourcesOf(training, "aws_lambda_function");
    expect(functions).toHaveLength(3);
    for (const [, fn] of functions) {
      expect(fn.runtime).toBe("nodejs22.x");
      expect(fn.vpc_config).toMatchObject({
        subnet_ids: expect.stringContaining(
          "data.terraform_remote_state.network_state.outputs.private_subnet_ids",
        ),
        security_group_ids: [expect.stringContaining("outputs.functions_security_group_id")],
      });
      expect(fn.logging_config).toMatchObject({ log_format: "JSON" });
    }
    const logGroups = resourcesOf(training, "aws_cloudwatch_log_group");
    expect(logGroups).toHaveLength(3);
    for (const [, group] of logGroups) expect(group.retention_in_days).toBe("${var.log_retention_days}");
  });

  it("grants no wildcard actions and uses '*' resources only where the API has no resource-level permissions", () => {
    const allowWildcardResources = new Set([
      "comprehend:ListDocumentClassifiers",
      "ec2:CreateNetworkInterface",
      "ec2:CreateNetworkInterfacePermission",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
      "ec2:DescribeVpcs",
      "ec2:DescribeDhcpOptions",
      "ec2:DescribeSecurityGroups",
      "ec2:DeleteNetworkInterface",
      "ec2:DeleteNetworkInterfacePermission",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]);
    const allows = policyStatements(training).filter(({ statement }) => statement.effect !== "Deny");
    expect(allows.length).toBeGreaterThan(10);
    for (const { statement } of allows) {
      for (const action of statement.actions ?? []) expect(action).not.toContain("*");
      if (statement.resources?.includes("*")) {
        for (const action of statement.actions ?? []) expect(allowWildcardResources).toContain(action);
      }
    }
  });

  it("routes every S3 trigger through the bucket's single notification configuration", () => {
    const notification = one("aws_s3_bucket_notification") as {
      lambda_function: { events: string[]; filter_prefix: string; filter_suffix: string }[];
    };
    const triggers = notification.lambda_function.map((t) => `${t.filter_prefix}*${t.filter_suffix}`);

    expect(triggers.sort()).toEqual([
      "output_data/*output.tar.gz",
      "raw_data/*.CSV",
      "raw_data/*.ZIP",
      "raw_data/*.csv",
      "raw_data/*.zip",
    ]);
    for (const trigger of notification.lambda_function)
      expect(trigger.events).toEqual(["s3:ObjectCreated:*"]);
  });

  it("starts training only on the ETL's completion event", () => {
    const subscriptions = resourcesOf(training, "aws_sns_topic_subscription").map(([, s]) => s);
    const lambda = subscriptions.find((s) => s.protocol === "lambda");

    expect(lambda?.filter_policy_scope).toBe("MessageAttributes");
    expect(JSON.parse(String(lambda?.filter_policy))).toEqual(ETL_COMPLETED_FILTER);
    expect(subscriptions.find((s) => s.protocol === "email")?.endpoint).toBe("${var.notification_email}");
  });

  it("sends every function's failed asynchronous invocations to the operator's topic", () => {
    const [topicName] = resourcesOf(training, "aws_sns_topic")[0] as [string, unknown];
    const configs = resourcesOf(training, "aws_lambda_function_event_invoke_config").map(([, c]) => c) as {
      destination_config: { on_failure: { destination: string } };
    }[];

    expect(configs).toHaveLength(3);
    for (const config of configs)
      expect(referencedName(config.destination_config.on_failure.destination)).toBe(topicName);
  });

  it("checks classifiers in training on a schedule, since a failed training writes no output", () => {
    expect(one("aws_cloudwatch_event_rule").schedule_expression).toBe("${var.classifier_check_schedule}");
    expect(one("aws_cloudwatch_event_target").arn).toMatch(
      /aws_lambda_function\.pipeline_notify_function_\w+\.arn/,
    );
  });

  it("lets only Comprehend training this app's classifiers assume the data access role", () => {
    const trust = dataOf(training, "aws_iam_policy_document")
      .flatMap(
        ([, doc]) => doc.statement as { principals?: { identifiers: string[] }[]; condition?: unknown[] }[],
      )
      .find((statement) => statement.principals?.[0]?.identifiers.includes("comprehend.amazonaws.com"));
    expect(trust?.condition).toEqual([
      {
        test: "StringEquals",
        variable: "aws:SourceAccount",
        values: [expect.stringContaining("aws_kms_key")],
      },
      {
        test: "ArnLike",
        variable: "aws:SourceArn",
        values: [expect.stringMatching(/:document-classifier\/\$\{var\.name_prefix\}-\*$/)],
      },
    ]);
  });

  it("validates the notification email", () => {
    expect(training.variable.notification_email?.validation).toHaveLength(1);
    expect(training.variable.notification_email?.default).toBeUndefined();
  });
});
