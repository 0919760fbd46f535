import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { Fn } from "cdktf";
import { Construct } from "constructs";
import { DATA_PREFIXES } from "../../contract/data-layout";
import { DRIFT_ENVIRONMENT, environmentFor } from "../../contract/environment";
import { functionName } from "../../contract/functions";
import { type DataStore, objectArns, retrainTriggerStatements } from "./data-store";
import { type FunctionNetwork, NodeFunction } from "./node-function";

export interface DriftCheckProps {
  readonly namePrefix: string;
  readonly store: DataStore;
  readonly topicArn: string;
  readonly classifierArn: string;
  readonly metricsNamespace: string;
  readonly dashboardUrl: string;
  readonly docsUrl: string;
  readonly schedule: string;
  readonly thresholds: {
    readonly distance: number;
    readonly risePoints: number;
    readonly minAnswers: number;
  };
  readonly network: FunctionNetwork;
  readonly logRetentionDays: number;
  /** retrain_after_corrections: the weekly check also counts the corrections (0: off). */
  readonly retrainAfterCorrections: number;
}

/**
 * The weekly drift check (functions/drift): last week's label mix and low-confidence share from the classify
 * function's metrics against the served model's training data, emailed to the operator when they moved.
 */
export class DriftCheck extends Construct {
  readonly fn: NodeFunction;
  readonly schedule: CloudwatchEventRule;

  constructor(scope: Construct, id: string, props: DriftCheckProps) {
    super(scope, id);
    const { store } = props;
    this.fn = new NodeFunction(this, "function", {
      functionName: functionName(props.namePrefix, "driftCheck"),
      bundle: "drift",
      description:
        "Weekly: compares the answers' label mix and confidence with the served model's training data",
      network: props.network,
      logRetentionDays: props.logRetentionDays,
      logKmsKeyArn: store.keyArn,
      timeoutSeconds: 120,
      // EventBridge invokes asynchronously: a check that still fails after Lambda's retries emails the operator.
      onFailureTopic: { arn: props.topicArn, kmsKeyArn: store.keyArn },
      environment: environmentFor(DRIFT_ENVIRONMENT, {
        TOPIC_ARN: props.topicArn,
        CLASSIFIER_ARN: props.classifierArn,
        NAME_PREFIX: props.namePrefix,
        DATA_BUCKET: store.bucketName,
        REPORTS_PREFIX: DATA_PREFIXES.reports,
        METRICS_NAMESPACE: props.metricsNamespace,
        DASHBOARD_URL: props.dashboardUrl,
        DOCS_URL: props.docsUrl,
        DRIFT_DISTANCE_THRESHOLD: Fn.tostring(props.thresholds.distance),
        LOW_CONFIDENCE_RISE_POINTS: Fn.tostring(props.thresholds.risePoints),
        DRIFT_MIN_ANSWERS: Fn.tostring(props.thresholds.minAnswers),
        RETRAIN_AFTER_CORRECTIONS: Fn.tostring(props.retrainAfterCorrections),
      }),
      statements: [
        ...retrainTriggerStatements(store),
        // CloudWatch's metric reads have no resource-level permissions ("Actions, resources, and condition keys
        // for Amazon CloudWatch"): the namespace is chosen in the request.
        {
          sid: "ReadAnswerMetrics",
          actions: ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics"],
          resources: ["*"],
        },
        {
          sid: "ReadRunReports",
          actions: ["s3:GetObject"],
          resources: [objectArns(store, DATA_PREFIXES.reports)],
        },
        { sid: "EmailOperator", actions: ["sns:Publish"], resources: [props.topicArn] },
        { sid: "UseAppKey", actions: ["kms:Decrypt", "kms:GenerateDataKey"], resources: [store.keyArn] },
      ],
    });
    this.schedule = new CloudwatchEventRule(this, "schedule", {
      name: `${props.namePrefix}-drift-check`,
      description: "Weekly drift check of the classification API's answers",
      scheduleExpression: props.schedule,
    });
    new CloudwatchEventTarget(this, "target", { rule: this.schedule.name, arn: this.fn.function.arn });
    new LambdaPermission(this, "invoke_from_schedule", {
      action: "lambda:InvokeFunction",
      functionName: this.fn.function.functionName,
      principal: "events.amazonaws.com",
      sourceArn: this.schedule.arn,
    });
  }
}
