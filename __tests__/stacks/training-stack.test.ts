import { ETL_COMPLETED_FILTER, TRAINING_FINISHED_FILTER } from "../../stacks/constructs/training-pipeline";
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
  it("owns no bucket and no key, so destroying it cannot strip or orphan the data", () => {
    for (const type of [
      "aws_s3_bucket",
      "aws_s3_bucket_policy",
      "aws_s3_bucket_public_access_block",
      "aws_s3_bucket_server_side_encryption_configuration",
      "aws_s3_bucket_versioning",
      "aws_s3_bucket_lifecycle_configuration",
      "aws_kms_key",
    ]) {
      expect(resourcesOf(training, type)).toEqual([]);
    }
  });

  it("encrypts the work space, the topic and every log group with the data stack's key", () => {
    const dataKey = "${data.terraform_remote_state.data_state.outputs.kms_key_arn}";
    expect(one("aws_efs_file_system")).toMatchObject({ encrypted: true, kms_key_id: dataKey });
    expect(one("aws_sns_topic").kms_master_key_id).toBe(dataKey);
    const logGroups = resourcesOf(training, "aws_cloudwatch_log_group");
    expect(logGroups).toHaveLength(4);
    for (const [, group] of logGroups) expect(group.kms_key_id).toBe(dataKey);
  });

  it("lets only the ETL's role mount the work space, through the access point, over TLS", () => {
    const policy = one("aws_efs_file_system_policy");
    const statements = policyStatements(training).filter(
      ({ document }) => referencedName(policy.policy) === document,
    );
    expect(statements).toHaveLength(2);
    expect(statements.map(({ statement }) => statement)).toEqual([
      expect.objectContaining({
        effect: "Deny",
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      }),
      expect.objectContaining({
        actions: ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
        principals: [
          { type: "AWS", identifiers: [expect.stringMatching(/aws_iam_role\.pipeline_etl_role_\w+\.arn/)] },
        ],
        condition: [
          {
            test: "StringEquals",
            variable: "elasticfilesystem:AccessPointArn",
            values: [expect.stringContaining("aws_efs_access_point")],
          },
          { test: "Bool", variable: "elasticfilesystem:AccessedViaMountTarget", values: ["true"] },
        ],
      }),
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
    expect(prefixes).toEqual(["reports/", "reports/", "reports/"]);
  });

  it("lets the pipeline merge label variants as npm run etl -- --merge-label-variants does, off by default", () => {
    const etl = resourcesOf(training, "aws_lambda_function").find(([, fn]) => fn.file_system_config);
    const variables = (etl?.[1].environment as { variables: Record<string, string> } | undefined)?.variables;

    expect(variables?.MERGE_LABEL_VARIANTS).toBe("${var.merge_label_variants}");
    expect(training.variable.merge_label_variants).toMatchObject({ type: "bool", default: false });
  });

  it("budgets the app's tagged costs when asked, alerting the operator at 80% actual and 100% forecast", () => {
    const budget = one("aws_budgets_budget");

    expect(budget).toMatchObject({
      count: "${signum(var.monthly_budget_usd)}",
      budget_type: "COST",
      limit_amount: "${tostring(var.monthly_budget_usd)}",
      limit_unit: "USD",
      time_unit: "MONTHLY",
      cost_filter: [{ name: "TagKeyValue", values: ["user:app$${var.name_prefix}"] }],
    });
    expect(budget.notification).toEqual([
      expect.objectContaining({ notification_type: "ACTUAL", threshold: 80, threshold_type: "PERCENTAGE" }),
      expect.objectContaining({
        notification_type: "FORECASTED",
        threshold: 100,
        threshold_type: "PERCENTAGE",
      }),
    ]);
    for (const notification of budget.notification as { subscriber_email_addresses: string[] }[]) {
      expect(notification.subscriber_email_addresses).toEqual(["${var.notification_email}"]);
    }
    expect(training.variable.monthly_budget_usd?.default).toBe(0);
    expect(one("aws_ce_cost_allocation_tag")).toMatchObject({
      count: "${(var.activate_cost_allocation_tag == true) ? 1 : 0}",
      tag_key: "app",
      status: "Active",
    });
  });

  it("runs every function on Node.js 22 inside the VPC, with JSON logs kept for a set time", () => {
    const functions = resourcesOf(training, "aws_lambda_function");
    expect(functions).toHaveLength(4);
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
    expect(logGroups).toHaveLength(4);
    for (const [, group] of logGroups) expect(group.retention_in_days).toBe("${var.log_retention_days}");
  });

  it("grants no wildcard actions and uses '*' resources only where the API has no resource-level permissions", () => {
    const allowWildcardResources = new Set([
      "comprehend:ListDocumentClassifiers",
      "comprehend:ListDocumentClassificationJobs",
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
      "batch_input/*.CSV",
      "batch_input/*.csv",
      "batch_output/*output.tar.gz",
      "corrections_input/*.CSV",
      "corrections_input/*.csv",
      "output_data/*output.tar.gz",
      "raw_data/*.CSV",
      "raw_data/*.ZIP",
      "raw_data/*.csv",
      "raw_data/*.zip",
      "retrain_input/*.json",
    ]);
    for (const trigger of notification.lambda_function)
      expect(trigger.events).toEqual(["s3:ObjectCreated:*"]);
  });

  it("starts training only on the ETL's completion event, and scoring only on a finished training", () => {
    const subscriptions = resourcesOf(training, "aws_sns_topic_subscription");
    const lambda = (name: string) => subscriptions.find(([id]) => id.startsWith(name))?.[1];

    for (const name of ["pipeline_train_subscription", "pipeline_batch_scoring_subscription"])
      expect(lambda(name)?.filter_policy_scope).toBe("MessageAttributes");
    expect(JSON.parse(String(lambda("pipeline_train_subscription")?.filter_policy))).toEqual(
      ETL_COMPLETED_FILTER,
    );
    expect(JSON.parse(String(lambda("pipeline_batch_scoring_subscription")?.filter_policy))).toEqual(
      TRAINING_FINISHED_FILTER,
    );
    expect(lambda("pipeline_batch_scoring_subscription")?.endpoint).toMatch(
      /aws_lambda_function\.pipeline_batch_/,
    );
    expect(subscriptions.find(([, s]) => s.protocol === "email")?.[1].endpoint).toBe(
      "${var.notification_email}",
    );
  });

  it("sends every function's failed asynchronous invocations to the operator's topic", () => {
    const [topicName] = resourcesOf(training, "aws_sns_topic")[0] as [string, unknown];
    const configs = resourcesOf(training, "aws_lambda_function_event_invoke_config").map(([, c]) => c) as {
      destination_config: { on_failure: { destination: string } };
    }[];

    expect(configs).toHaveLength(4);
    for (const config of configs)
      expect(referencedName(config.destination_config.on_failure.destination)).toBe(topicName);
  });

  it("checks training and batch jobs on a schedule, since a failed or stopped job writes no output", () => {
    expect(one("aws_cloudwatch_event_rule").schedule_expression).toBe("${var.classifier_check_schedule}");
    const targets = resourcesOf(training, "aws_cloudwatch_event_target").map(([, target]) => target.arn);
    expect(targets).toHaveLength(2);
    expect(targets).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/aws_lambda_function\.pipeline_notify_function_\w+\.arn/),
        expect.stringMatching(/aws_lambda_function\.pipeline_batch_function_\w+\.arn/),
      ]),
    );
    const invokers = resourcesOf(training, "aws_lambda_permission").filter(
      ([, permission]) => permission.principal === "events.amazonaws.com",
    );
    expect(invokers).toHaveLength(2);
  });

  it("lets only Comprehend work of this app assume its data access roles: training its classifiers, and its batch jobs", () => {
    const trusts = dataOf(training, "aws_iam_policy_document")
      .flatMap(
        ([, doc]) =>
          doc.statement as { principals?: { identifiers: string[] }[]; condition?: { values: string[] }[] }[],
      )
      .filter((statement) => statement.principals?.[0]?.identifiers.includes("comprehend.amazonaws.com"));

    expect(trusts).toHaveLength(2);
    for (const trust of trusts) {
      expect(trust.condition?.[0]).toEqual({
        test: "StringEquals",
        variable: "aws:SourceAccount",
        values: [expect.stringContaining("data.terraform_remote_state.data_state.outputs.kms_key_arn")],
      });
    }
    expect(trusts.map((trust) => trust.condition?.[1]?.values[0])).toEqual([
      expect.stringMatching(/:document-classification-job\/\*$/),
      expect.stringMatching(/:document-classifier\/\$\{var\.name_prefix\}--\*$/),
    ]);
  });

  it("limits the batch path to the batch prefixes, the review queue and this app's classifiers", () => {
    const batchPolicy = resourcesOf(training, "aws_iam_role_policy").find(([name]) =>
      name.startsWith("pipeline_batch_role_policy"),
    );
    const statements = policyStatements(training)
      .filter(({ document }) => referencedName(batchPolicy?.[1].policy) === document)
      .map(({ statement }) => statement);
    const s3Resources = statements
      .filter((s) => s.actions?.some((a) => a.startsWith("s3:Get") || a === "s3:PutObject"))
      .flatMap((s) => s.resources ?? []);
    const start = statements.find((s) => s.actions?.includes("comprehend:StartDocumentClassificationJob"));
    const accessPolicy = resourcesOf(training, "aws_iam_role_policy").find(([name]) =>
      name.startsWith("pipeline_comprehend_batch_access"),
    );
    const accessResources = policyStatements(training)
      .filter(({ document }) => referencedName(accessPolicy?.[1].policy) === document)
      .flatMap(({ statement }) =>
        statement.actions?.some((a) => a.startsWith("s3:Get") || a === "s3:PutObject")
          ? (statement.resources ?? [])
          : [],
      );

    expect(statements.length).toBeGreaterThan(5);
    expect(s3Resources).toEqual([
      // Scoring a trained model: its run's test file and report, and the scores and thresholds it writes.
      expect.stringMatching(/\/prepped_data\/\*\.test\.csv$/),
      expect.stringMatching(/\/reports\/\*$/),
      expect.stringMatching(/\/reports\/\*$/),
      expect.stringMatching(/\/batch_input\/\*$/),
      expect.stringMatching(/\/batch_output\/\*$/),
      expect.stringMatching(/\/review\/queue\/\*$/),
    ]);
    expect(start?.resources).toEqual([
      expect.stringMatching(/:document-classifier\/\$\{var\.name_prefix\}--\*$/),
      expect.stringMatching(/:document-classifier\/\$\{var\.name_prefix\}--\*\/version\/\*$/),
      expect.stringMatching(/:document-classification-job\/\*$/),
    ]);
    expect(accessResources.length).toBeGreaterThan(0);
    for (const resource of accessResources) expect(resource).toMatch(/\/batch_output\/\*$/);
  });

  it("lets the operator name the backlog classifier, empty meaning the newest trained one", () => {
    const batch = resourcesOf(training, "aws_lambda_function").find(([name]) =>
      name.startsWith("pipeline_batch_function"),
    );
    const environment = (batch?.[1].environment as { variables: Record<string, string> } | undefined)
      ?.variables;

    expect(environment?.CLASSIFIER_ARN).toBe("${var.batch_classifier_arn}");
    expect(training.variable.batch_classifier_arn?.default).toBe("");
    expect(JSON.stringify(training.variable.batch_classifier_arn?.validation)).toContain(
      'var.batch_classifier_arn == \\"\\"',
    );
  });

  it("validates the notification email", () => {
    expect(training.variable.notification_email?.validation).toHaveLength(1);
    expect(training.variable.notification_email?.default).toBeUndefined();
  });
});
