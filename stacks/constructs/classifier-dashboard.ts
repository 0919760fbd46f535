import { CloudwatchDashboard } from "@cdktf/provider-aws/lib/cloudwatch-dashboard";
import { Construct } from "constructs";
import { dashboardName } from "../../contract/alarms";
import {
  API_METRICS,
  CLASSIFY_METRICS,
  CLASSIFY_SERVICE,
  LABEL_DIMENSION,
  metricsNamespace,
  SERVICE_DIMENSION,
} from "../../contract/metrics";

export interface ClassifierDashboardProps {
  readonly namePrefix: string;
  readonly region: string;
  readonly apiName: string;
  readonly stageName: string;
  /** Every function of the app, by name, for the errors widget (the pipeline's are named from the prefix). */
  readonly functionNames: readonly string[];
  /** The endpoint's inference units widget: Comprehend's metric and its dimensions. */
  readonly endpointUnits?: { readonly namespace: string; readonly metrics: readonly EndpointMetric[] };
}

export interface EndpointMetric {
  readonly metricName: string;
  readonly stat: string;
  readonly dimensions: Record<string, string>;
  readonly label: string;
}

type MetricRow = (string | Record<string, unknown>)[];

/**
 * One page for the operator (aws_cloudwatch_dashboard; body as in "Dashboard Body Structure and Syntax",
 * CloudWatch API Reference): requests and errors, latency percentiles, throttles, the label mix over time, the
 * low-confidence share, the endpoint's inference units and every function's errors.
 */
export class ClassifierDashboard extends Construct {
  readonly dashboard: CloudwatchDashboard;
  readonly url: string;

  constructor(scope: Construct, id: string, props: ClassifierDashboardProps) {
    super(scope, id);
    const name = dashboardName(props.namePrefix);
    const namespace = metricsNamespace(props.namePrefix);
    const api = ["ApiName", props.apiName, "Stage", props.stageName];
    const service = [SERVICE_DIMENSION, CLASSIFY_SERVICE];
    const widget = (title: string, metrics: MetricRow[], extra: Record<string, unknown> = {}) => ({
      type: "metric",
      width: 12,
      height: 6,
      properties: { title, region: props.region, view: "timeSeries", period: 300, metrics, ...extra },
    });
    const widgets = [
      widget("Requests and errors", [
        ["AWS/ApiGateway", "Count", ...api, { stat: "Sum", label: "Requests" }],
        ["AWS/ApiGateway", "4XXError", ...api, { stat: "Sum", label: "4XX" }],
        ["AWS/ApiGateway", "5XXError", ...api, { stat: "Sum", label: "5XX" }],
        [namespace, API_METRICS.throttled, { stat: "Sum", label: "429 (throttled)" }],
      ]),
      widget("Latency (ms)", [
        ["AWS/ApiGateway", "Latency", ...api, { stat: "p50", label: "p50" }],
        ["AWS/ApiGateway", "Latency", ...api, { stat: "p90", label: "p90" }],
        ["AWS/ApiGateway", "Latency", ...api, { stat: "p99", label: "p99" }],
        ["AWS/ApiGateway", "IntegrationLatency", ...api, { stat: "p99", label: "p99 in the function" }],
      ]),
      widget(
        "Label mix (answers per label, hourly)",
        [
          [
            {
              expression: `SEARCH('{${namespace},${SERVICE_DIMENSION},${LABEL_DIMENSION}} MetricName="${CLASSIFY_METRICS.answersByLabel}"', 'Sum', 3600)`,
              id: "labels",
              label: "",
            },
          ],
        ],
        { view: "timeSeries", stacked: true, period: 3600 },
      ),
      widget(
        "Low-confidence answers (percent, hourly)",
        [
          [namespace, CLASSIFY_METRICS.lowConfidence, ...service, { stat: "Sum", id: "low", visible: false }],
          [namespace, CLASSIFY_METRICS.answers, ...service, { stat: "Sum", id: "all", visible: false }],
          [{ expression: "100 * low / all", id: "share", label: "Below the review threshold" }],
        ],
        { period: 3600, yAxis: { left: { min: 0, max: 100 } } },
      ),
      ...(props.endpointUnits
        ? [
            widget(
              "Endpoint inference units (per minute)",
              props.endpointUnits.metrics.map((metric) => [
                props.endpointUnits?.namespace ?? "",
                metric.metricName,
                ...Object.entries(metric.dimensions).flat(),
                { stat: metric.stat, label: metric.label },
              ]),
              { period: 60 },
            ),
          ]
        : []),
      widget(
        "Function errors",
        props.functionNames.map((functionName) => [
          "AWS/Lambda",
          "Errors",
          "FunctionName",
          functionName,
          { stat: "Sum", label: functionName },
        ]),
      ),
    ];
    this.dashboard = new CloudwatchDashboard(this, "dashboard", {
      dashboardName: name,
      dashboardBody: JSON.stringify({ widgets }),
    });
    this.url = `https://${props.region}.console.aws.amazon.com/cloudwatch/home?region=${props.region}#dashboards/dashboard/${name}`;
  }
}
