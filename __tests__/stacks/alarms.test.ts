import { ALARM_CONCERNS, type AlarmConcernName } from "../../contract/alarms";
import { API_METRICS } from "../../contract/metrics";
import { resourcesOf, type StackJson, synthesizeApp } from "./synthesized";

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
    ["inference", ["classify", "endpoint-lifecycle", "drift-check"]],
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
});
