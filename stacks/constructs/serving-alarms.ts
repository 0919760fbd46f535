import type { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { CloudwatchLogMetricFilter } from "@cdktf/provider-aws/lib/cloudwatch-log-metric-filter";
import { Fn, type IResolvable, Op, TerraformCount } from "cdktf";
import { Construct } from "constructs";
import {
  API_METRICS,
  CLASSIFY_METRICS,
  CLASSIFY_SERVICE,
  COMPREHEND_ENDPOINT_METRICS,
  metricsNamespace,
  SERVICE_DIMENSION,
} from "../../contract/metrics";
import { FIVE_MINUTES, type OperatorAlarms } from "./operator-alarms";

export interface ServingThresholds {
  /** Percent of requests answered 5XX. */
  readonly serverErrorPercent: number;
  readonly p99LatencyMs: number;
  /** Percent of requests answered 429. */
  readonly throttledPercent: number;
  /** Hours without a request; 0: no idle alarm. */
  readonly idleHours: number;
}

export interface ServingAlarmsProps {
  readonly namePrefix: string;
  readonly alarms: OperatorAlarms;
  /** The REST API's name and stage: API Gateway's metric dimensions (ApiName, Stage). */
  readonly apiName: string;
  readonly stageName: string;
  readonly accessLogGroup: CloudwatchLogGroup;
  readonly thresholds: ServingThresholds;
  /** What the endpoint costs an hour (units x price), said in the idle alarm's email. */
  readonly endpointUsdPerHour: number;
  readonly inferenceUnits: number;
  readonly endpointArn: string;
  /** Autoscaling's bounds, when it is on: the endpoint pinned at its maximum is worth an alarm. */
  readonly autoscaling: {
    readonly enabled: boolean | IResolvable;
    readonly maxUnits: number;
    readonly targetUtilization: number;
  };
  /** With endpoint_active_hours the endpoint is gone at night: idle hours then are the point, not a waste. */
  readonly alwaysOn: boolean | IResolvable;
}

/** What the idle alarm's email tells the operator to run (the operator tests run them as written). */
export const IDLE_ALARM_COMMANDS =
  'Remove the endpoint and its API (the classifier and the data stay) with "npm run destroy -- inference"; bring it back with "npm run deploy -- inference".';

const HOUR = 3600;

/**
 * The API's alarms, from API Gateway's own metrics (AWS/ApiGateway: Count, 5XXError, Latency, by ApiName and
 * Stage, "Amazon API Gateway dimensions and metrics") and one counted from the access logs (429s, for which API
 * Gateway has no metric of its own). Request-rate alarms have no data on a quiet night, which is no incident;
 * the idle alarm is the opposite: no data is exactly what it looks for.
 */
export class ServingAlarms extends Construct {
  constructor(scope: Construct, id: string, props: ServingAlarmsProps) {
    super(scope, id);
    const { alarms, thresholds } = props;
    const dimensions = { ApiName: props.apiName, Stage: props.stageName };
    const apiMetric = (queryId: string, metricName: string) => ({
      id: queryId,
      metric: { namespace: "AWS/ApiGateway", metricName, dimensions, stat: "Sum", period: FIVE_MINUTES },
    });
    // Two of three five-minute periods: a single bad minute is not an incident, a quarter of an hour is.
    const sustained = { evaluationPeriods: 3, datapointsToAlarm: 2, treatMissingData: "notBreaching" };

    const namespace = metricsNamespace(props.namePrefix);
    alarms.add("apiServerErrors", {
      ...sustained,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: thresholds.serverErrorPercent,
      metricQuery: [
        apiMetric("requests", "Count"),
        apiMetric("server_errors", "5XXError"),
        {
          // The 503s outside endpoint_active_hours are by design (the classify function counts them).
          id: "paused",
          metric: {
            namespace,
            metricName: CLASSIFY_METRICS.paused,
            dimensions: { [SERVICE_DIMENSION]: CLASSIFY_SERVICE },
            stat: "Sum",
            period: FIVE_MINUTES,
          },
        },
        {
          id: "server_error_percent",
          expression: "100 * (FILL(server_errors, 0) - FILL(paused, 0)) / requests",
          label: "5XX answers, percent of requests",
          returnData: true,
        },
      ],
      detail: `Threshold: ${thresholds.serverErrorPercent}% of requests over 10 of 15 minutes.`,
    });

    alarms.add("apiLatency", {
      ...sustained,
      namespace: "AWS/ApiGateway",
      metricName: "Latency",
      dimensions,
      extendedStatistic: "p99",
      period: FIVE_MINUTES,
      comparisonOperator: "GreaterThanThreshold",
      threshold: thresholds.p99LatencyMs,
      // A handful of requests makes no percentile: keep the state instead of alarming on one slow request.
      evaluateLowSampleCountPercentiles: "ignore",
      detail: `Threshold: p99 above ${thresholds.p99LatencyMs} ms over 10 of 15 minutes.`,
    });

    new CloudwatchLogMetricFilter(this, "throttled_filter", {
      name: `${props.namePrefix}-api-throttled`,
      logGroupName: props.accessLogGroup.name,
      // The access log's status is written as a string ("$context.status" inside quotes).
      pattern: '{ $.status = "429" }',
      metricTransformation: { name: API_METRICS.throttled, namespace, value: "1", unit: "Count" },
    });
    alarms.add("apiThrottled", {
      ...sustained,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: thresholds.throttledPercent,
      metricQuery: [
        apiMetric("requests", "Count"),
        {
          id: "throttled",
          metric: {
            namespace,
            metricName: API_METRICS.throttled,
            stat: "Sum",
            period: FIVE_MINUTES,
          },
        },
        {
          id: "throttled_percent",
          expression: "100 * FILL(throttled, 0) / requests",
          label: "429 answers, percent of requests",
          returnData: true,
        },
      ],
      detail: `Threshold: ${thresholds.throttledPercent}% of requests over 10 of 15 minutes.`,
    });

    // Pinned: as many units as autoscaling may give, and busier than it aims at, minute after minute for a
    // quarter of an hour (Application Auto Scaling would have scaled out by then if it could).
    const endpointMetric = (queryId: string, metricName: string, stat: string) => ({
      id: queryId,
      metric: {
        namespace: COMPREHEND_ENDPOINT_METRICS.namespace,
        metricName,
        dimensions: { [COMPREHEND_ENDPOINT_METRICS.dimension]: props.endpointArn },
        stat,
        period: 60,
      },
    });
    alarms.add("endpointAtMaximum", {
      count: TerraformCount.of(Fn.conditional(Op.eq(props.autoscaling.enabled, true), 1, 0)),
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      evaluationPeriods: 15,
      datapointsToAlarm: 15,
      treatMissingData: "notBreaching",
      metricQuery: [
        endpointMetric("provisioned", COMPREHEND_ENDPOINT_METRICS.provisionedUnits, "Average"),
        endpointMetric("utilization", COMPREHEND_ENDPOINT_METRICS.utilization, "Sum"),
        {
          id: "pinned",
          expression: `IF(provisioned >= ${props.autoscaling.maxUnits} AND utilization > ${props.autoscaling.targetUtilization}, 1, 0)`,
          label: "At the maximum inference units and above the target utilization",
          returnData: true,
        },
      ],
      detail: `Maximum ${props.autoscaling.maxUnits} inference units, target utilization ${props.autoscaling.targetUtilization}%, for 15 minutes.`,
    });

    // "Served no request for N hours": N hourly periods without a request. Missing data is the breach (API
    // Gateway publishes nothing for an hour without requests). Period x evaluation periods may reach 7 days for
    // periods of an hour or more (PutMetricAlarm, Period), hence the variable's bound of 168 hours.
    const idleCost = Fn.format("%.2f", [Op.mul(props.endpointUsdPerHour, thresholds.idleHours)]);
    const idleHours = Fn.max([1, thresholds.idleHours]);
    alarms.add("endpointIdle", {
      count: TerraformCount.of(Fn.conditional(props.alwaysOn, Fn.signum(thresholds.idleHours), 0)),
      namespace: "AWS/ApiGateway",
      metricName: "Count",
      dimensions,
      statistic: "Sum",
      period: HOUR,
      evaluationPeriods: idleHours,
      datapointsToAlarm: idleHours,
      comparisonOperator: "LessThanThreshold",
      threshold: 1,
      treatMissingData: "breaching",
      detail: `Idle for ${thresholds.idleHours} hours, which cost about $${idleCost} (${props.inferenceUnits} inference unit(s) at $${Fn.format("%.2f", [props.endpointUsdPerHour])} an hour), and it goes on costing that. ${IDLE_ALARM_COMMANDS}`,
    });
  }
}
