import { requestsPerSecond } from "../../contract/throughput";
import { CLASSIFY_PATH, CORRECTIONS_PATH } from "../../stacks/constructs/classification-api";
import { ENDPOINT_SCALABLE_DIMENSION } from "../../stacks/constructs/comprehend-endpoint";
import { MAX_REQUEST_TEXT_CHARACTERS } from "../../stacks/inference-stack";
import {
  onlyResource,
  policyStatements,
  referencedName,
  resourcesOf,
  type StackJson,
  synthesizeApp,
} from "./synthesized";
import { evaluateWithTerraform } from "./terraform-evaluate";

let inference: StackJson;

beforeAll(() => {
  inference = synthesizeApp().stacks.inference as StackJson;
});

const one = (type: string) => onlyResource(inference, type);

describe("inference stack", () => {
  it("holds the endpoint's desired model and units in terraform_data, so a plan shows them change", () => {
    const desired = one("terraform_data") as { input: Record<string, unknown> };

    expect(desired.input).toMatchObject({
      endpoint_name: "${var.name_prefix}-endpoint",
      model_arn: "${var.document_classifier_arn}",
      desired_inference_units: "${var.inference_units}",
    });
  });

  it("carries out the endpoint's whole lifecycle with a CRUD-scoped Lambda invocation", () => {
    const [desiredName] = resourcesOf(inference, "terraform_data")[0] as [string, unknown];
    const invocation = one("aws_lambda_invocation");

    expect(invocation).toMatchObject({ lifecycle_scope: "CRUD", terraform_key: "tf" });
    expect(invocation.input).toBe(`\${jsonencode(terraform_data.${desiredName}.output)}`);
    expect(invocation.function_name).toMatch(
      /aws_lambda_function\.endpoint_lifecycle_function_\w+\.function_name/,
    );
  });

  it("validates the classifier ARN and keeps inference units within 1-10", () => {
    const arnCheck = inference.variable.document_classifier_arn?.validation?.[0] as { condition: string };
    expect(arnCheck.condition).toContain("document-classifier/");
    expect(inference.variable.document_classifier_arn?.default).toBeUndefined();
    const unitsCheck = inference.variable.inference_units?.validation?.[0] as { condition: string };
    expect(unitsCheck.condition).toContain("var.inference_units >= 1 && var.inference_units <= 10");
  });

  it("scales inference units only when asked", () => {
    const target = one("aws_appautoscaling_target");
    expect(target).toMatchObject({
      service_namespace: "comprehend",
      scalable_dimension: ENDPOINT_SCALABLE_DIMENSION,
    });
    expect(String(target.count)).toContain("var.endpoint_autoscaling_enabled");
    expect(inference.variable.endpoint_autoscaling_enabled?.default).toBe(false);
    expect(one("aws_appautoscaling_policy")).toMatchObject({
      policy_type: "TargetTrackingScaling",
      target_tracking_scaling_policy_configuration: {
        predefined_metric_specification: { predefined_metric_type: "ComprehendInferenceUtilization" },
      },
    });
  });

  it("requires SigV4 on every method of a regional API", () => {
    expect(one("aws_api_gateway_rest_api")).toMatchObject({
      endpoint_configuration: { types: ["REGIONAL"] },
    });
    const methods = resourcesOf(inference, "aws_api_gateway_method").map(([, m]) => m);
    expect(methods.length).toBeGreaterThan(0);
    for (const method of methods) expect(method.authorization).toBe("AWS_IAM");
    expect(methods).toHaveLength(2);
    expect(resourcesOf(inference, "aws_api_gateway_resource").map(([, r]) => r.path_part)).toEqual([
      CLASSIFY_PATH,
      CORRECTIONS_PATH,
    ]);
    for (const [, integration] of resourcesOf(inference, "aws_api_gateway_integration")) {
      expect(integration).toMatchObject({ type: "AWS_PROXY", integration_http_method: "POST" });
    }
  });

  it("serves a prod stage with access logs and throttling, redeployed when the API changes", () => {
    const stage = one("aws_api_gateway_stage") as {
      stage_name: string;
      access_log_settings: { destination_arn: string };
    };
    expect(stage.stage_name).toBe("prod");
    expect(stage.access_log_settings.destination_arn).toMatch(
      /aws_cloudwatch_log_group\.api_access_log_group_\w+\.arn/,
    );
    expect(one("aws_api_gateway_method_settings")).toMatchObject({
      method_path: "*/*",
      settings: { data_trace_enabled: false, metrics_enabled: true },
    });
    const deployment = one("aws_api_gateway_deployment") as { triggers: { redeployment: string } };
    expect(deployment.triggers.redeployment).toMatch(/^\$\{sha1\(jsonencode\(/);
    expect(inference.output.rest_api_invoke_url?.value).toMatch(
      new RegExp(`invoke_url\\}/${CLASSIFY_PATH}$`),
    );
  });

  it.each([
    // [inference units, typical ticket characters, rate set, burst set] -> what Terraform computes.
    [1, 300, null, null, 0.33, 1],
    [1, 40, null, null, 2, 4],
    [3, 1000, null, null, 0.3, 1],
    [2, 150, null, null, 1.33, 3],
    [1, 300, 10, null, 10, 20],
    [1, 300, 10, 5, 10, 5],
  ])(
    "throttles %s unit(s) of %s-character tickets (rate %s, burst %s) at what the endpoint serves, evaluated by terraform",
    (units, characters, rate, burst, expectedRate, expectedBurst) => {
      // Prepare: the stage's throttling expressions with the stack's own variable declarations.
      const { settings } = one("aws_api_gateway_method_settings") as {
        settings: { throttling_rate_limit: string; throttling_burst_limit: string };
      };
      const names = [
        "inference_units",
        "typical_ticket_characters",
        "api_throttling_rate_limit",
        "api_throttling_burst_limit",
      ];
      const config = {
        variable: Object.fromEntries(names.map((name) => [name, inference.variable[name]])),
        output: {
          rate: { value: settings.throttling_rate_limit },
          burst: { value: settings.throttling_burst_limit },
        },
      };
      const values = {
        inference_units: units,
        typical_ticket_characters: characters,
        api_throttling_rate_limit: rate,
        api_throttling_burst_limit: burst,
      };

      // Act
      const outputs = evaluateWithTerraform(config, values);

      // Assess: the same figure as the contract's, which the guide's sizing table quotes.
      expect(outputs).toEqual({ rate: expectedRate, burst: expectedBurst });
      if (rate === null) expect(requestsPerSecond(units, characters)).toBe(expectedRate);
    },
  );

  it("turns endpoint_active_hours into pause and resume schedules in the operator's time zone, evaluated by terraform", () => {
    // Prepare: the schedules' expressions, the locals and the variable with its validation, as synthesized.
    const schedules = Object.fromEntries(
      resourcesOf(inference, "aws_scheduler_schedule").map(([, s]) => [
        String(s.name).replace(/.*-endpoint-/, ""),
        s,
      ]),
    ) as Record<string, { count: string; schedule_expression: string; schedule_expression_timezone: string }>;
    const locals = (inference as unknown as { locals: Record<string, string> }).locals;
    const common = {
      variable: { endpoint_active_hours: inference.variable.endpoint_active_hours },
      locals,
    };
    const shared = {
      schedules: { value: schedules.pause?.count },
      functions_read: { value: "${local.endpoint_active_hours_json}" },
      always_on: { value: "${local.endpoint_always_on}" },
    };
    const config = {
      ...common,
      output: {
        ...shared,
        pause: { value: schedules.pause?.schedule_expression },
        resume: { value: schedules.resume?.schedule_expression },
        time_zone: { value: schedules.pause?.schedule_expression_timezone },
      },
    };
    const weekdays = { days: "MON-FRI", start: "07:30", end: "19:00", time_zone: "Europe/Berlin" };

    // Act
    const on = evaluateWithTerraform(config, { endpoint_active_hours: weekdays });
    const always = evaluateWithTerraform({ ...common, output: shared }, {});
    const refused = () =>
      evaluateWithTerraform(config, { endpoint_active_hours: { ...weekdays, start: "19:00", end: "07:00" } });

    // Assess: EventBridge Scheduler cron fields (minutes hours day-of-month month day-of-week year), JSON the
    // functions parse, no schedule by default, and a plan-time refusal of a window that ends before it starts.
    expect(on).toEqual({
      schedules: 1,
      pause: "cron(0 19 ? * MON-FRI *)",
      resume: "cron(30 7 ? * MON-FRI *)",
      time_zone: "Europe/Berlin",
      functions_read: JSON.stringify({
        days: "MON-FRI",
        end: "19:00",
        start: "07:30",
        time_zone: "Europe/Berlin",
      }),
      always_on: false,
    });
    expect(always).toEqual({ schedules: 0, functions_read: "", always_on: true });
    expect(refused).toThrow("endpoint_active_hours must be null or such as");
  });

  it("lets API Gateway invoke the classify and corrections functions each for its own route only", () => {
    const permissions = resourcesOf(inference, "aws_lambda_permission")
      .map(([, p]) => p)
      .filter((p) => p.principal === "apigateway.amazonaws.com");
    const routeOf = (suffix: string) =>
      permissions.find((p) => String(p.function_name).includes(`api_${suffix}_function`))?.source_arn;
    expect(permissions).toHaveLength(2);
    expect(routeOf("classify")).toMatch(new RegExp(`execution_arn\\}/\\*/POST/${CLASSIFY_PATH}$`));
    expect(routeOf("corrections")).toMatch(new RegExp(`execution_arn\\}/\\*/POST/${CORRECTIONS_PATH}$`));
  });

  it("runs its four functions (classify, corrections, endpoint lifecycle, drift check) on Node.js 22 inside the VPC", () => {
    const functions = resourcesOf(inference, "aws_lambda_function").map(([, fn]) => fn);
    expect(functions).toHaveLength(4);
    for (const fn of functions) {
      expect(fn.runtime).toBe("nodejs22.x");
      expect(fn.vpc_config).toMatchObject({
        subnet_ids: expect.stringContaining(
          "data.terraform_remote_state.network_state.outputs.private_subnet_ids",
        ),
      });
    }
  });

  it("lets the classify function call ClassifyDocument on its endpoint and nothing else", () => {
    const classify = resourcesOf(inference, "aws_lambda_function").find(([, fn]) =>
      String(fn.function_name).endsWith("-classify"),
    );
    const role = referencedName(classify?.[1].role);
    const statements = policyStatements(inference).filter(({ document }) =>
      document.startsWith("api_classify_policy"),
    );

    expect(role).toMatch(/^api_classify_role/);
    const own = statements.filter(({ statement }) => statement.sid === "Classify");
    expect(own).toHaveLength(1);
    expect(own[0]?.statement.actions).toEqual(["comprehend:ClassifyDocument"]);
    expect(own[0]?.statement.resources).toEqual([
      expect.stringMatching(/:document-classifier-endpoint\/\$\{var\.name_prefix\}-endpoint$/),
    ]);
  });

  it("grants no wildcard actions", () => {
    for (const { statement } of policyStatements(inference)) {
      for (const action of statement.actions ?? []) expect(action).not.toContain("*");
    }
  });

  it("decrypts the model with the data stack's key", () => {
    const decrypt = policyStatements(inference).find(({ statement }) => statement.sid === "DecryptModel");
    expect(decrypt?.statement.resources).toEqual([
      "${data.terraform_remote_state.data_state.outputs.kms_key_arn}",
    ]);
  });

  it("lets the lifecycle function's CreateEndpoint create the model-key grant only through Comprehend", () => {
    const grant = policyStatements(inference).find(
      ({ statement }) => statement.sid === "LetComprehendGrantModelKeyToEndpoint",
    );
    expect(grant?.statement).toMatchObject({
      actions: ["kms:CreateGrant"],
      resources: ["${data.terraform_remote_state.data_state.outputs.kms_key_arn}"],
      condition: [
        { test: "Bool", variable: "kms:GrantIsForAWSResource", values: ["true"] },
        {
          test: "StringEquals",
          variable: "kms:ViaService",
          values: ["comprehend.${var.region}.amazonaws.com"],
        },
      ],
    });
    const lifecycleRolePolicy = resourcesOf(inference, "aws_iam_role_policy").find(([name]) =>
      name.startsWith("endpoint_lifecycle"),
    );
    expect(referencedName(lifecycleRolePolicy?.[1].policy)).toBe(grant?.document);
  });

  it("encrypts the access logs and every function's logs with the data stack's key", () => {
    const groups = resourcesOf(inference, "aws_cloudwatch_log_group");
    expect(groups).toHaveLength(5);
    for (const [, group] of groups)
      expect(group.kms_key_id).toBe("${data.terraform_remote_state.data_state.outputs.kms_key_arn}");
  });

  it("leaves API Gateway's account-wide logging role to the network stack, so destroying this stack keeps it", () => {
    expect(resourcesOf(inference, "aws_api_gateway_account")).toEqual([]);
    expect(inference.variable.manage_api_gateway_account_logging_role).toBeUndefined();
  });

  it("admits callers of this account and named principals only, and only through named VPC endpoints when given", () => {
    const policy = one("aws_api_gateway_rest_api_policy").policy as string;
    expect(policy).toMatch(
      /^\$\{\(length\(var\.api_allowed_vpc_endpoint_ids\) >= 1\) \? data\.aws_iam_policy_document\.(\w+)\.json : data\.aws_iam_policy_document\.(\w+)\.json\}$/,
    );
    const [, withEndpoints, without] = /\.(\w+)\.json : data\.aws_iam_policy_document\.(\w+)\.json/.exec(
      policy,
    ) as string[];
    const statementsOf = (document: string | undefined) =>
      policyStatements(inference)
        .filter((entry) => entry.document === document)
        .map(({ statement }) => statement);
    const allow = {
      actions: ["execute-api:Invoke"],
      principals: [
        {
          type: "AWS",
          identifiers: expect.stringMatching(
            /concat\(\["arn:.*:iam::.*:root"\], var\.api_allowed_principal_arns\)/,
          ),
        },
      ],
    };
    expect(statementsOf(without)).toEqual([expect.objectContaining(allow)]);
    expect(statementsOf(withEndpoints)).toEqual([
      expect.objectContaining(allow),
      expect.objectContaining({
        effect: "Deny",
        condition: [
          {
            test: "StringNotEquals",
            variable: "aws:SourceVpce",
            values: "${var.api_allowed_vpc_endpoint_ids}",
          },
        ],
      }),
    ]);
  });

  it("answers a body the schema refuses in the API's own shape, saying what is wrong", () => {
    expect(one("aws_api_gateway_gateway_response")).toMatchObject({
      response_type: "BAD_REQUEST_BODY",
      status_code: "400",
      response_templates: {
        "application/json": expect.stringContaining("$context.error.validationErrorString"),
      },
    });
  });

  it("refuses bodies without a Text string, or with one far beyond what Comprehend reads, before invoking anything", () => {
    const method = resourcesOf(inference, "aws_api_gateway_method").find(([name]) =>
      name.startsWith("api_classify_method"),
    )?.[1] as Record<string, unknown>;
    expect(referencedName(method.request_validator_id)).toBe(
      resourcesOf(inference, "aws_api_gateway_request_validator")[0]?.[0],
    );
    expect(one("aws_api_gateway_request_validator").validate_request_body).toBe(true);
    const schema = JSON.parse(
      resourcesOf(inference, "aws_api_gateway_model").find(([, m]) => m.name === "ClassifyRequest")?.[1]
        .schema as string,
    );
    expect(schema).toMatchObject({
      required: ["Text"],
      properties: { Text: { type: "string", minLength: 1, maxLength: MAX_REQUEST_TEXT_CHARACTERS } },
    });
    expect(method.request_models).toEqual({
      "application/json": expect.stringContaining("aws_api_gateway_model"),
    });
  });
});
