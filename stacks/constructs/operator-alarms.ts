import {
  CloudwatchMetricAlarm,
  type CloudwatchMetricAlarmConfig,
} from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import {
  ALARM_CONCERNS,
  type AlarmConcernName,
  alarmName,
  DEFAULT_DOCS_URL,
  TROUBLESHOOTING_DOC,
  troubleshootingLink,
} from "../../contract/alarms";
import type { NodeFunction } from "./node-function";
import { hcl } from "./terraform-expression";

export interface OperatorAlarmsProps {
  readonly namePrefix: string;
  /** The pipeline's topic: its email subscription is the operator's inbox. */
  readonly topicArn: string;
  /** Where the project's docs/ folder is read (a repository URL, or the path in a clone). */
  readonly docsUrl: string;
}

/** What a concern's alarm watches; name, description, action and the rest come from the concern. */
export type AlarmSpec = Omit<
  CloudwatchMetricAlarmConfig,
  "alarmName" | "alarmDescription" | "alarmActions" | "okActions" | "insufficientDataActions"
> & {
  /** Said between the concern's meaning and the link: the numbers this alarm uses, or the commands. */
  readonly detail?: string;
};

/** Where the alarms' descriptions point: the team's copy of the docs. */
export function docsUrlVariable(scope: Construct): TerraformVariable {
  return new TerraformVariable(scope, "docs_url", {
    type: "string",
    description: `Where the operators read this project's docs folder, e.g. https://github.com/<org>/<repo>/blob/main/docs; every alarm's email ends with a link to its section of ${TROUBLESHOOTING_DOC} there.`,
    default: DEFAULT_DOCS_URL,
    validation: [
      {
        condition: hcl('var.docs_url != "" && !endswith(var.docs_url, "/")'),
        errorMessage:
          "docs_url must name the docs folder without a trailing slash, such as https://github.com/example-org/itsr/blob/main/docs.",
      },
    ],
  });
}

/** Five minutes: API Gateway and Lambda publish one-minute metrics; five of them ride out a single blip. */
export const FIVE_MINUTES = 300;

/**
 * The operator's alarms: one per concern (contract/alarms.ts), each notifying the pipeline's topic (the same
 * email as the pipeline's reports) and saying in its description what it means and which troubleshooting
 * section fixes it. Only ALARM notifies: an OK after every blip would double the mail without news.
 */
export class OperatorAlarms extends Construct {
  readonly alarms: CloudwatchMetricAlarm[] = [];

  constructor(
    scope: Construct,
    id: string,
    private readonly props: OperatorAlarmsProps,
  ) {
    super(scope, id);
  }

  /** An alarm for a concern; `subject` names the function of a per-function alarm. */
  add(concern: AlarmConcernName, spec: AlarmSpec, subject?: string): CloudwatchMetricAlarm {
    const { detail, ...config } = spec;
    const link = troubleshootingLink(this.props.docsUrl, concern);
    const who = subject ? `${subject}: ` : "";
    const alarm = new CloudwatchMetricAlarm(this, subject ? `${subject}_${concern}` : concern, {
      ...config,
      alarmName: alarmName(this.props.namePrefix, concern, subject),
      alarmDescription: `${who}${ALARM_CONCERNS[concern].meaning}${detail ? ` ${detail}` : ""} What to do: ${link}`,
      alarmActions: [this.props.topicArn],
    });
    this.alarms.push(alarm);
    return alarm;
  }

  /**
   * A function's errors and throttles; for a function invoked asynchronously, also events Lambda gave up on
   * and failure records it could not hand to the topic ("Types of metrics for Lambda functions": AsyncEventsDropped
   * counts an event also when its OnFailure destination received it; DestinationDeliveryFailures when that
   * failed). A quiet night has no data, which is fine.
   */
  watchFunction(subject: string, fn: NodeFunction): void {
    const dimensions = { FunctionName: fn.function.functionName };
    const countAtLeastOne = {
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
    };
    this.add(
      "functionErrors",
      {
        ...countAtLeastOne,
        namespace: "AWS/Lambda",
        metricName: "Errors",
        dimensions,
        statistic: "Sum",
        period: FIVE_MINUTES,
        detail: `Its logs: aws logs tail /aws/lambda/${fn.function.functionName} --since 1h`,
      },
      subject,
    );
    this.add(
      "functionThrottles",
      {
        ...countAtLeastOne,
        namespace: "AWS/Lambda",
        metricName: "Throttles",
        dimensions,
        statistic: "Sum",
        period: FIVE_MINUTES,
      },
      subject,
    );
    if (!fn.invokedAsynchronously) return;
    const sumOf = (id: string, metricName: string) => ({
      id,
      metric: { namespace: "AWS/Lambda", metricName, dimensions, stat: "Sum", period: FIVE_MINUTES },
    });
    this.add(
      "asyncFailures",
      {
        ...countAtLeastOne,
        metricQuery: [
          sumOf("dropped", "AsyncEventsDropped"),
          sumOf("undelivered", "DestinationDeliveryFailures"),
          {
            id: "lost",
            expression: "FILL(dropped, 0) + FILL(undelivered, 0)",
            label: "Events dropped or not delivered to the failure topic",
            returnData: true,
          },
        ],
      },
      subject,
    );
  }
}
