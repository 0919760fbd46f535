import { ALARM_CONCERNS, type AlarmConcernName } from "../../contract/alarms";
import { API_METRICS } from "../../contract/metrics";
import { resourcesOf, type StackJson, synthesizeApp } from "./synthesized";
import { evaluateWithTerraform } from "./terraform-evaluate";

type Alarm = Record<string, unknown> & {
  alarm_name: string;
  alarm_description: string;
  alarm_actions: string[];
  metric_query?: { id: string; expression?: string; metric?: Record<string, unknown> }[];
};

let training: StackJson;
let inference: StackJson;

beforeAll(() => {
  const app = synthesizeApp();
  training = app.stacks.training as StackJson;
  inference = app.stacks.inference as StackJson;
});

const alarmsOf = (stack: StackJson) =>
  resourcesOf(stack, "aws_cloudwatch_metric_alarm").map(([, alarm]) => alarm as Alarm);
const named = (stack: StackJson, suffix: string) => {
  const alarm = alarmsOf(stack).find((a) => a.alarm_name === `\${var.name_prefix}--${suffix}`);
  if (!alarm) throw new Error(`no alarm ${suffix}`);
  return alarm;
};
/** The deployed name a `${aws_lambda_function.<id>.function_name}` reference stands for. */
const functionNamed = (stack: StackJson, reference: unknown) => {
  const id = /^\$\{aws_lambda_function\.([^.]+)\.function_name\}$/.exec(String(reference))?.[1];
  return resourcesOf(stack, "aws_lambda_function").find(([key]) => key === id)?.[1].function_name;
};
const concernOf = (alarm: Alarm): AlarmConcernName => {
  const found = (Object.keys(ALARM_CONCERNS) as AlarmConcernName[]).find((concern) =>
    alarm.alarm_description.endsWith(`#${ALARM_CONCERNS[concern].anchor}`),
  );
  if (!found) throw new Error(`${alarm.alarm_name} links no concern`);
  return found;
};

describe("operator alarms", () => {
  it("names every alarm <prefix>--..., notifies the pipeline's topic on ALARM only and ends with its troubleshooting link", () => {
    const all = [...alarmsOf(training), ...alarmsOf(inference)];
    expect(all.length).toBeGreaterThanOrEqual(24);
    for (const alarm of all) {
      expect(alarm.alarm_name).toMatch(/^\$\{var\.name_prefix\}--[a-z0-9-]+$/);
      expect(alarm.alarm_description).toContain(
        `What to do: \${var.docs_url}/troubleshooting.md#${ALARM_CONCERNS[concernOf(alarm)].anchor}`,
      );
      expect(alarm.alarm_description.length).toBeLessThanOrEqual(1024);
      expect(alarm.ok_actions).toBeUndefined();
      expect(alarm.alarm_actions).toHaveLength(1);
    }
    for (const alarm of alarmsOf(training)) {
      expect(alarm.alarm_actions[0]).toMatch(/^\$\{aws_sns_topic\.notifications_topic_[A-Z0-9]+\.arn\}$/);
    }
    // The inference stack reaches the same topic by its name (the pipeline stack may be gone).
    for (const alarm of alarmsOf(inference)) {
      expect(alarm.alarm_actions[0]).toMatch(/:sns:\$\{var\.region\}:.*:\$\{var\.name_prefix\}-pipeline$/);
    }
  });

  it.each([
    ["training", ["etl", "train", "notify", "batch"]],
    ["inference", ["classify", "corrections", "endpoint-lifecycle", "drift-check"]],
  ])(
    "watches every %s function's Errors and Throttles (Sum >= 1 in 5 minutes, no data is fine)",
    (stack, names) => {
      const json = stack === "training" ? training : inference;
      for (const name of names) {
        for (const [suffix, metric] of [
          ["errors", "Errors"],
          ["throttles", "Throttles"],
        ] as const) {
          const alarm = named(json, `${name}-${suffix}`);
          const dimensions = alarm.dimensions as { FunctionName: string };
          expect(functionNamed(json, dimensions.FunctionName)).toBe(`\${var.name_prefix}-${name}`);
          expect(alarm).toMatchObject({
            namespace: "AWS/Lambda",
            metric_name: metric,
            statistic: "Sum",
            period: 300,
            evaluation_periods: 1,
            comparison_operator: "GreaterThanOrEqualToThreshold",
            threshold: 1,
            treat_missing_data: "notBreaching",
          });
        }
      }
    },
  );

  it("counts events Lambda dropped or could not deliver to the failure topic for each asynchronously invoked function", () => {
    for (const [json, name] of [
      [training, "etl"],
      [training, "train"],
      [training, "notify"],
      [training, "batch"],
      [inference, "drift-check"],
      // EventBridge Scheduler's pause and resume invoke it asynchronously.
      [inference, "endpoint-lifecycle"],
    ] as const) {
      const alarm = named(json, `${name}-async-failures`);
      const metrics = (alarm.metric_query ?? []).flatMap((q) => (q.metric ? [q.metric] : []));
      expect(metrics.map((m) => m.metric_name).sort()).toEqual([
        "AsyncEventsDropped",
        "DestinationDeliveryFailures",
      ]);
      for (const metric of metrics)
        expect(metric).toMatchObject({ stat: "Sum", period: 300, namespace: "AWS/Lambda" });
      expect(alarm.metric_query?.find((q) => q.expression)?.expression).toBe(
        "FILL(dropped, 0) + FILL(undelivered, 0)",
      );
      expect(alarm).toMatchObject({ threshold: 1, treat_missing_data: "notBreaching" });
    }
    // Called by Terraform and the API, synchronously: nothing to drop.
    expect(alarmsOf(inference).map((a) => a.alarm_name)).not.toContain(
      "${var.name_prefix}--classify-async-failures",
    );
  });

  it("alarms when an ETL run's longest duration reaches etl_duration_alarm_percent of its 15-minute timeout", () => {
    expect(named(training, "etl-near-timeout")).toMatchObject({
      metric_name: "Duration",
      statistic: "Maximum",
      period: 300,
      comparison_operator: "GreaterThanOrEqualToThreshold",
      threshold: "${floor(((var.etl_duration_alarm_percent / 100) * 900000))}",
      treat_missing_data: "notBreaching",
    });
  });

  it("alarms on the API's 5XX and 429 shares of requests and its p99 latency, sustained 10 of 15 minutes", () => {
    const api = {
      ApiName: expect.stringMatching(/^\$\{aws_api_gateway_rest_api\.api_rest_api_[A-Z0-9]+\.name\}$/),
      Stage: "prod",
    };
    const fiveXx = named(inference, "api-5xx");
    expect(fiveXx).toMatchObject({
      threshold: "${var.api_5xx_alarm_percent}",
      evaluation_periods: 3,
      datapoints_to_alarm: 2,
      treat_missing_data: "notBreaching",
    });
    expect(fiveXx.metric_query).toEqual(
      expect.arrayContaining([
        {
          id: "requests",
          metric: {
            namespace: "AWS/ApiGateway",
            metric_name: "Count",
            dimensions: api,
            stat: "Sum",
            period: 300,
          },
        },
        {
          id: "server_errors",
          metric: {
            namespace: "AWS/ApiGateway",
            metric_name: "5XXError",
            dimensions: api,
            stat: "Sum",
            period: 300,
          },
        },
        expect.objectContaining({
          expression: "100 * (FILL(server_errors, 0) - FILL(paused, 0)) / requests",
          return_data: true,
        }),
      ]),
    );

    const throttled = named(inference, "api-throttled");
    expect(throttled.threshold).toBe("${var.api_throttled_alarm_percent}");
    expect(throttled.metric_query).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: "throttled",
          metric: expect.objectContaining({
            metric_name: API_METRICS.throttled,
            namespace: "${var.name_prefix}/classifier",
          }),
        }),
        expect.objectContaining({ expression: "100 * FILL(throttled, 0) / requests" }),
      ]),
    );
    const [, filter] = resourcesOf(inference, "aws_cloudwatch_log_metric_filter")[0] ?? [];
    expect(filter).toMatchObject({
      pattern: '{ $.status = "429" }',
      log_group_name: expect.stringMatching(
        /^\$\{aws_cloudwatch_log_group\.api_access_log_group_[A-Z0-9]+\.name\}$/,
      ),
      metric_transformation: { name: API_METRICS.throttled, value: "1" },
    });

    expect(named(inference, "api-p99-latency")).toMatchObject({
      namespace: "AWS/ApiGateway",
      metric_name: "Latency",
      dimensions: api,
      extended_statistic: "p99",
      period: 300,
      threshold: "${var.api_p99_latency_alarm_ms}",
      evaluate_low_sample_count_percentiles: "ignore",
      treat_missing_data: "notBreaching",
    });
  });

  it("alarms when the endpoint served no request for endpoint_idle_alert_hours, saying the cost and the commands", () => {
    const idle = named(inference, "endpoint-idle");
    expect(idle).toMatchObject({
      // Off with endpoint_active_hours: a paused endpoint is idle by design and costs nothing.
      count: "${local.endpoint_always_on ? signum(var.endpoint_idle_alert_hours) : 0}",
      metric_name: "Count",
      statistic: "Sum",
      period: 3600,
      evaluation_periods: "${max(1, var.endpoint_idle_alert_hours)}",
      datapoints_to_alarm: "${max(1, var.endpoint_idle_alert_hours)}",
      comparison_operator: "LessThanThreshold",
      threshold: 1,
      // No requests, no data points: the breach itself.
      treat_missing_data: "breaching",
    });
    expect(idle.alarm_description).toContain("npm run destroy -- inference");
    expect(idle.alarm_description).toContain("npm run deploy -- inference");
    expect(idle.alarm_description).toMatch(
      /Idle for \$\{var\.endpoint_idle_alert_hours\} hours, which cost about \$\$\{format\("%\.2f"/,
    );
  });

  it("alarms when autoscaling holds the endpoint at its maximum units above its target for 15 minutes", () => {
    const pinned = named(inference, "endpoint-at-max");
    expect(pinned).toMatchObject({
      count: "${(var.endpoint_autoscaling_enabled == true) ? 1 : 0}",
      evaluation_periods: 15,
      datapoints_to_alarm: 15,
      threshold: 1,
      treat_missing_data: "notBreaching",
    });
    // "Monitoring Amazon Comprehend endpoints": AWS/Comprehend by EndpointArn, one-minute data.
    const endpoint = expect.stringMatching(/document-classifier-endpoint\/\$\{var\.name_prefix\}-endpoint$/);
    expect(pinned.metric_query).toEqual(
      expect.arrayContaining([
        {
          id: "provisioned",
          metric: {
            namespace: "AWS/Comprehend",
            metric_name: "ProvisionedInferenceUnits",
            dimensions: { EndpointArn: endpoint },
            stat: "Average",
            period: 60,
          },
        },
        {
          id: "utilization",
          metric: {
            namespace: "AWS/Comprehend",
            metric_name: "InferenceUtilization",
            dimensions: { EndpointArn: endpoint },
            stat: "Sum",
            period: 60,
          },
        },
        expect.objectContaining({
          expression:
            "IF(provisioned >= ${var.endpoint_autoscaling_max_inference_units} AND utilization > ${var.endpoint_autoscaling_target_utilization}, 1, 0)",
        }),
      ]),
    );
  });
});

describe("the dashboard", () => {
  it("charts requests, errors, throttles, latency percentiles, the label mix, low confidence, the endpoint's units and every function's errors", () => {
    const [, dashboard] = resourcesOf(inference, "aws_cloudwatch_dashboard")[0] ?? [];
    expect(dashboard?.dashboard_name).toBe("${var.name_prefix}-classifier");
    // Interpolations holding quoted HCL strings (the endpoint ARN's split(":")) are JSON only once Terraform
    // renders them: stand in a placeholder for those before parsing.
    const body = JSON.parse(
      String(dashboard?.dashboard_body).replace(/\$\{[^{}]*"[^{}]*\}/g, "RENDERED"),
    ) as {
      widgets: { properties: { title: string; metrics: unknown[][] } }[];
    };
    const byTitle = Object.fromEntries(
      body.widgets.map((w) => [w.properties.title, JSON.stringify(w.properties.metrics)]),
    );
    expect(Object.keys(byTitle)).toEqual([
      "Requests and errors",
      "Latency (ms)",
      "Label mix (answers per label, hourly)",
      "Low-confidence answers (percent, hourly)",
      "Endpoint inference units (per minute)",
      "Function errors",
    ]);
    for (const metric of ["Count", "4XXError", "5XXError", API_METRICS.throttled])
      expect(byTitle["Requests and errors"]).toContain(`"${metric}"`);
    for (const p of ["p50", "p90", "p99"]) expect(byTitle["Latency (ms)"]).toContain(`"stat":"${p}"`);
    expect(byTitle["Label mix (answers per label, hourly)"]).toContain(
      "SEARCH('{${var.name_prefix}/classifier,service,label} MetricName=\\\"AnswersByLabel\\\"', 'Sum', 3600)",
    );
    expect(byTitle["Low-confidence answers (percent, hourly)"]).toContain("100 * low / all");
    expect(byTitle["Endpoint inference units (per minute)"]).toContain("ProvisionedInferenceUnits");
    for (const fn of ["etl", "train", "notify", "batch", "classify", "endpoint-lifecycle", "drift-check"])
      expect(byTitle["Function errors"]).toContain(`"\${var.name_prefix}-${fn}"`);
    // Rendered by the real terraform, the body is the JSON CloudWatch takes.
    const rendered = evaluateWithTerraform(
      {
        variable: Object.fromEntries(
          ["name_prefix", "region", "document_classifier_arn"].map((name) => [
            name,
            inference.variable[name],
          ]),
        ),
        // The API's name is the one attribute of another resource: stand in its value.
        output: {
          body: {
            value: String(dashboard?.dashboard_body).replace(
              /\$\{aws_api_gateway_rest_api\.\w+\.name\}/g,
              "comprehend-itsr-classifier",
            ),
          },
        },
      },
      {
        document_classifier_arn: "arn:aws:comprehend:us-east-1:111122223333:document-classifier/itsr--run-1",
      },
    );
    const widgets = (JSON.parse(String(rendered.body)) as typeof body).widgets;
    expect(JSON.stringify(widgets)).toContain(
      '"AWS/Comprehend","ProvisionedInferenceUnits","EndpointArn","arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/comprehend-itsr-endpoint"',
    );
    expect(inference.output?.dashboard_url?.value).toBe(
      "https://${var.region}.console.aws.amazon.com/cloudwatch/home?region=${var.region}#dashboards/dashboard/${var.name_prefix}-classifier",
    );
  });
});
