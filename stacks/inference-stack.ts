import { Fn, type IResolvable, Op, TerraformVariable, type TerraformVariableConfig } from "cdktf";
import type { Construct } from "constructs";
import { DAYS_PATTERN, TIME_PATTERN } from "../contract/active-hours";
import { notificationTopicName } from "../contract/alarms";
import { CLASSIFIER_ARN_PATTERN } from "../contract/arns";
import { DEFAULT_REVIEW_THRESHOLD } from "../contract/batch";
import { DATA_PREFIXES } from "../contract/data-layout";
import { DRIFT_DEFAULTS } from "../contract/environment";
import { functionName } from "../contract/functions";
import { COMPREHEND_ENDPOINT_METRICS, metricsNamespace } from "../contract/metrics";
import {
  DEFAULT_TYPICAL_TICKET_CHARACTERS,
  UNIT_CHARACTERS_PER_SECOND,
  UNIT_DOCUMENTS_PER_SECOND,
} from "../contract/throughput";
import { ENDPOINT_PRICE_PER_INFERENCE_UNIT_HOUR } from "../functions/pipeline-shared/pricing";
import { AppStack, type AppStackProps } from "./app-stack";
import { ClassificationApi, STAGE_NAME } from "./constructs/classification-api";
import { ClassifierDashboard } from "./constructs/classifier-dashboard";
import { ComprehendEndpoint } from "./constructs/comprehend-endpoint";
import { type DataStore, dataStoreFromState } from "./constructs/data-store";
import { DriftCheck } from "./constructs/drift-check";
import { activeHoursLocals, EndpointSchedule } from "./constructs/endpoint-schedule";
import type { FunctionNetwork } from "./constructs/node-function";
import { docsUrlVariable, OperatorAlarms } from "./constructs/operator-alarms";
import { ServingAlarms } from "./constructs/serving-alarms";
import { hcl, wholeNumberBetween } from "./constructs/terraform-expression";
import { DATA_OUTPUTS, INFERENCE_OUTPUTS, NETWORK_OUTPUTS } from "./outputs";

/**
 * The longest text the API accepts. The classify function cuts texts to ClassifyDocument's 10,000 bytes (and
 * says so); far longer bodies are a mistake or an abuse, refused before they cost an invocation.
 */
export const MAX_REQUEST_TEXT_CHARACTERS = 100_000;

/** The pipeline's topic by its name: the inference stack's alarms and failures reach the same inbox. */
function pipelineTopicArn(store: DataStore, region: string, namePrefix: string): string {
  return `arn:${store.partition}:sns:${region}:${store.accountId}:${notificationTopicName(namePrefix)}`;
}

/**
 * The original sample's APIGWInferenceStack and the endpoint half of ExtractLoadTransformEndPointCreateStack:
 * deployed once training has produced a classifier, and destroyed to stop paying for the endpoint.
 */
export class InferenceStack extends AppStack {
  readonly endpoint: ComprehendEndpoint;
  readonly api: ClassificationApi;
  readonly alarms: OperatorAlarms;
  readonly dashboard: ClassifierDashboard;
  readonly driftCheck: DriftCheck;
  /** retrain_after_corrections, for the functions that count corrections. */
  private readonly retrainAfterCorrections: number;

  constructor(scope: Construct, props: AppStackProps) {
    super(scope, "inference", props);
    const { namePrefix, region, logRetentionDays } = this.variables;
    const network = this.upstreamOutputs("network", NETWORK_OUTPUTS);
    // The model was encrypted with the app key at training; the endpoint decrypts it with a role.
    const store = dataStoreFromState(this.upstreamOutputs("data", DATA_OUTPUTS));
    const variable = (name: string, config: TerraformVariableConfig) =>
      new TerraformVariable(this, name, config);

    const classifierArn = variable("document_classifier_arn", {
      type: "string",
      description:
        "ARN of the trained classifier to serve, from the training-finished email (arn:aws:comprehend:<region>:<account>:document-classifier/<name>[/version/<version>]).",
      validation: [
        {
          condition: hcl(`can(regex("${CLASSIFIER_ARN_PATTERN}", var.document_classifier_arn))`),
          errorMessage:
            "document_classifier_arn must be a Comprehend document classifier ARN such as arn:aws:comprehend:us-east-1:111122223333:document-classifier/comprehend-itsr--dataverse-files-3fa9c2d41b7e/version/v-3fa9c2d41b7e.",
        },
      ],
    });
    const inferenceUnits = variable("inference_units", {
      type: "number",
      description:
        "Inference units of the endpoint (1 unit = 100 characters per second); each is billed per second while the endpoint exists.",
      default: 1,
      validation: [wholeNumberBetween("inference_units", 1, 10)],
    });
    const autoscalingEnabled = variable("endpoint_autoscaling_enabled", {
      type: "bool",
      description:
        "Scale the endpoint's inference units with its utilization (Application Auto Scaling target tracking).",
      default: false,
    });
    const autoscalingMax = variable("endpoint_autoscaling_max_inference_units", {
      type: "number",
      description: "Upper bound of inference units when autoscaling is enabled (at least inference_units).",
      default: 4,
      validation: [wholeNumberBetween("endpoint_autoscaling_max_inference_units", 1, 10)],
    });
    const autoscalingTarget = variable("endpoint_autoscaling_target_utilization", {
      type: "number",
      description: "Inference utilization (percent) that autoscaling keeps the endpoint at.",
      default: 70,
      validation: [wholeNumberBetween("endpoint_autoscaling_target_utilization", 10, 90)],
    });
    const typicalCharacters = variable("typical_ticket_characters", {
      type: "number",
      description: `Characters of a typical ticket sent to the API: the mean document length of the served model's training data ("Average ticket" in its Dataset ready email, document_bytes.mean in the run's report). The API's default rate limit follows from it: one inference unit serves ${UNIT_CHARACTERS_PER_SECOND} characters and at most ${UNIT_DOCUMENTS_PER_SECOND} documents a second.`,
      default: DEFAULT_TYPICAL_TICKET_CHARACTERS,
      validation: [wholeNumberBetween("typical_ticket_characters", 1, 10000)],
    });
    const rateLimit = variable("api_throttling_rate_limit", {
      type: "number",
      description: `Steady-state requests per second the API accepts before answering 429. Null: what the endpoint serves, inference_units x min(${UNIT_DOCUMENTS_PER_SECOND}, ${UNIT_CHARACTERS_PER_SECOND} / typical_ticket_characters) (0.33 a second per unit for 300-character tickets); a higher rate only turns into Comprehend's throttling after a paid invocation.`,
      nullable: true,
      validation: [
        {
          condition: hcl(
            "var.api_throttling_rate_limit == null || try(var.api_throttling_rate_limit >= 1 && var.api_throttling_rate_limit <= 10000 && floor(var.api_throttling_rate_limit) == var.api_throttling_rate_limit, false)",
          ),
          errorMessage: "api_throttling_rate_limit must be null or a whole number from 1 to 10000.",
        },
      ],
    });
    const burstLimit = variable("api_throttling_burst_limit", {
      type: "number",
      description:
        "Requests the API accepts in a burst before answering 429. Null: twice the rate limit, at least 1.",
      nullable: true,
      validation: [
        {
          condition: hcl(
            "var.api_throttling_burst_limit == null || try(var.api_throttling_burst_limit >= 1 && var.api_throttling_burst_limit <= 5000 && floor(var.api_throttling_burst_limit) == var.api_throttling_burst_limit, false)",
          ),
          errorMessage: "api_throttling_burst_limit must be null or a whole number from 1 to 5000.",
        },
      ],
    });
    const allowedPrincipals = variable("api_allowed_principal_arns", {
      type: "list(string)",
      description:
        "IAM role or user ARNs (also of other accounts) allowed to call the API besides this account's principals, which still need execute-api:Invoke in their own policies.",
      default: [],
      validation: [
        {
          condition: hcl(
            'alltrue([for arn in var.api_allowed_principal_arns : can(regex("^arn:aws[a-z-]*:(iam::[0-9]{12}:(role|user|root)|sts::[0-9]{12}:assumed-role)", arn))])',
          ),
          errorMessage: "api_allowed_principal_arns must hold IAM role, user or account root ARNs.",
        },
      ],
    });
    const allowedVpcEndpoints = variable("api_allowed_vpc_endpoint_ids", {
      type: "list(string)",
      description:
        "If set, the API accepts calls only through these VPC endpoints (vpce-...) of execute-api.",
      default: [],
      validation: [
        {
          condition: hcl(
            'alltrue([for id in var.api_allowed_vpc_endpoint_ids : can(regex("^vpce-[0-9a-f]+$", id))])',
          ),
          errorMessage:
            "api_allowed_vpc_endpoint_ids must hold VPC endpoint ids such as vpce-0a1b2c3d4e5f60001.",
        },
      ],
    });
    const activeHours = variable("endpoint_active_hours", {
      type: "object({ days = string, start = string, end = string, time_zone = string })",
      description:
        'When the endpoint exists, e.g. { days = "MON-FRI", start = "07:00", end = "19:00", time_zone = "Europe/Berlin" } (days: EventBridge day names, a range or a list). Outside these hours the endpoint is removed (no charges) and re-created at the start; the API answers 503 with Retry-After meanwhile. Null: always on.',
      nullable: true,
      validation: [
        {
          condition: hcl(
            `var.endpoint_active_hours == null || try(can(regex("${DAYS_PATTERN}", var.endpoint_active_hours.days)) && can(regex("${TIME_PATTERN}", var.endpoint_active_hours.start)) && can(regex("${TIME_PATTERN}", var.endpoint_active_hours.end)) && tonumber(replace(var.endpoint_active_hours.start, ":", "")) < tonumber(replace(var.endpoint_active_hours.end, ":", "")) && var.endpoint_active_hours.time_zone != "", false)`,
          ),
          errorMessage:
            'endpoint_active_hours must be null or such as { days = "MON-FRI", start = "07:00", end = "19:00", time_zone = "Europe/Berlin" }: days as EventBridge day names (MON-FRI, MON,WED,FRI), start before end on the 24-hour clock, an IANA time zone.',
        },
      ],
    });
    // Null defaults (derived below); cdktf cannot express a null default in the variable's config.
    rateLimit.addOverride("default", null);
    burstLimit.addOverride("default", null);
    activeHours.addOverride("default", null);
    const schedule = activeHoursLocals(this, activeHours);
    // What the endpoint serves (contract/throughput.ts, requestsPerSecond, in Terraform's terms): a higher API rate
    // only turns into throttles from Comprehend, which the client sees as 429 after a wasted invocation.
    const perUnit = Fn.min([
      UNIT_DOCUMENTS_PER_SECOND,
      Op.div(UNIT_CHARACTERS_PER_SECOND, typicalCharacters.numberValue),
    ]);
    const servedRate = Op.div(Fn.floor(Op.mul(Op.mul(inferenceUnits.numberValue, perUnit), 100)), 100);
    const effectiveRate = Fn.coalesce([rateLimit.numberValue, servedRate]);
    const effectiveBurst = Fn.coalesce([
      burstLimit.numberValue,
      Fn.max([1, Fn.ceil(Op.mul(effectiveRate, 2))]),
    ]);

    const functionNetwork = {
      subnetIds: network.getList("private_subnet_ids"),
      securityGroupIds: [network.getString("functions_security_group_id")],
    };
    const topicArn = pipelineTopicArn(store, region.stringValue, namePrefix.stringValue);
    this.endpoint = new ComprehendEndpoint(this, "endpoint", {
      onFailureTopic: { arn: topicArn, kmsKeyArn: store.keyArn },
      namePrefix: namePrefix.stringValue,
      region: region.stringValue,
      endpointName: `${namePrefix.stringValue}-endpoint`,
      modelArn: classifierArn.stringValue,
      inferenceUnits: inferenceUnits.numberValue,
      modelKmsKeyArn: store.keyArn,
      network: functionNetwork,
      logRetentionDays: logRetentionDays.numberValue,
      logKmsKeyArn: store.keyArn,
      autoscaling: {
        enabled: autoscalingEnabled.booleanValue,
        maxInferenceUnits: autoscalingMax.numberValue,
        targetUtilization: autoscalingTarget.numberValue,
      },
      activeHoursJson: schedule.json,
    });
    new EndpointSchedule(this, "endpoint_schedule", {
      namePrefix: namePrefix.stringValue,
      accountId: store.accountId,
      activeHours,
      lifecycleFunction: this.endpoint.lifecycleFunction.function,
      desired: this.endpoint.desired,
    });
    const retrainAfterCorrections = variable("retrain_after_corrections", {
      type: "number",
      description:
        "Ask for the next model version on its own once this many corrections arrived since the last retraining request (npm run retrain asks by hand). 0: never on its own.",
      default: 0,
      validation: [
        {
          condition: hcl(
            "var.retrain_after_corrections >= 0 && floor(var.retrain_after_corrections) == var.retrain_after_corrections",
          ),
          errorMessage: "retrain_after_corrections must be a whole number, 0 or more.",
        },
      ],
    });
    this.api = new ClassificationApi(this, "api", {
      namePrefix: namePrefix.stringValue,
      partition: this.endpoint.partition,
      endpointArn: this.endpoint.endpointArn,
      network: functionNetwork,
      logRetentionDays: logRetentionDays.numberValue,
      logKmsKeyArn: store.keyArn,
      throttlingRateLimit: effectiveRate,
      throttlingBurstLimit: effectiveBurst,
      region: region.stringValue,
      accountId: store.accountId,
      allowedPrincipalArns: allowedPrincipals.listValue,
      allowedVpcEndpointIds: allowedVpcEndpoints.listValue,
      maxTextCharacters: MAX_REQUEST_TEXT_CHARACTERS,
      activeHoursJson: schedule.json,
      store,
      classifierArn: classifierArn.stringValue,
      review: {
        threshold: variable("review_threshold", {
          type: "number",
          description:
            "Answers whose top score is below this count as low-confidence (metrics, drift check); until the served model has its own per-label thresholds from scoring (auto_route_precision), it also decides what goes to the review queue.",
          default: DEFAULT_REVIEW_THRESHOLD,
          validation: [
            {
              condition: hcl("var.review_threshold >= 0 && var.review_threshold <= 1"),
              errorMessage: "review_threshold must be from 0 to 1.",
            },
          ],
        }).numberValue,
        queueEnabled: variable("review_queue_enabled", {
          type: "bool",
          description: `Write low-score answers (text, prediction, scores) to the data bucket under ${DATA_PREFIXES.reviewQueue} for a person to label; kept review_retention_days (data stack).`,
          default: true,
        }).booleanValue,
        retrainAfterCorrections: retrainAfterCorrections.numberValue,
      },
    });
    this.retrainAfterCorrections = retrainAfterCorrections.numberValue;

    const watched = this.watch(
      store,
      functionNetwork,
      classifierArn.stringValue,
      inferenceUnits.numberValue,
      schedule.alwaysOn,
      {
        enabled: autoscalingEnabled.booleanValue,
        maxUnits: autoscalingMax.numberValue,
        targetUtilization: autoscalingTarget.numberValue,
      },
    );
    this.alarms = watched.alarms;
    this.dashboard = watched.dashboard;
    this.driftCheck = watched.driftCheck;

    const outputs: Record<(typeof INFERENCE_OUTPUTS)[number], { value: string; description: string }> = {
      rest_api_invoke_url: {
        value: this.api.invokeUrl,
        description: 'URL to POST {"Text": "..."} to, signed with SigV4 (npm run classify does it).',
      },
      rest_api_id: { value: this.api.restApi.id, description: "ID of the classification REST API." },
      comprehend_endpoint_arn: {
        value: this.endpoint.endpointArn,
        description: "ARN of the Comprehend endpoint.",
      },
      served_classifier_arn: {
        value: classifierArn.stringValue,
        description: "The model the endpoint serves: what npm run retrain builds the next version on.",
      },
      classify_function_name: {
        value: this.api.classifyFunction.function.functionName,
        description: "Name of the function behind the API.",
      },
      active_hours_json: {
        value: schedule.json,
        description:
          "The endpoint's active hours as JSON (npm run status says when a paused endpoint resumes); empty: always on.",
      },
      dashboard_url: {
        value: this.dashboard.url,
        description: "The CloudWatch dashboard: requests, latency, throttles, label mix, confidence, errors.",
      },
    };
    this.declareOutputs(outputs);
  }

  /**
   * What watches the serving side: its alarms (to the pipeline's topic, found by its name, so that the pipeline
   * stack need not be read: it may be torn down while the endpoint serves), the dashboard and the drift check.
   */
  private watch(
    store: DataStore,
    network: FunctionNetwork,
    classifierArn: string,
    inferenceUnits: number,
    alwaysOn: IResolvable,
    autoscaling: { enabled: boolean | IResolvable; maxUnits: number; targetUtilization: number },
  ) {
    const { namePrefix, region, logRetentionDays } = this.variables;
    const prefix = namePrefix.stringValue;
    const variable = (name: string, config: TerraformVariableConfig) =>
      new TerraformVariable(this, name, config);
    const topicArn = pipelineTopicArn(store, region.stringValue, prefix);
    const docsUrl = docsUrlVariable(this).stringValue;
    const alarms = new OperatorAlarms(this, "alarms", { namePrefix: prefix, topicArn, docsUrl });
    alarms.watchFunction("classify", this.api.classifyFunction);
    alarms.watchFunction("corrections", this.api.correctionsFunction);
    alarms.watchFunction("endpoint-lifecycle", this.endpoint.lifecycleFunction);

    const percent = (name: string, description: string, fallback: number) =>
      variable(name, {
        type: "number",
        description,
        default: fallback,
        validation: [
          {
            condition: hcl(`var.${name} > 0 && var.${name} <= 100`),
            errorMessage: `${name} must be a percentage above 0 and at most 100.`,
          },
        ],
      }).numberValue;
    new ServingAlarms(this, "serving_alarms", {
      namePrefix: prefix,
      alarms,
      apiName: this.api.restApi.name,
      stageName: STAGE_NAME,
      accessLogGroup: this.api.accessLogGroup,
      inferenceUnits,
      alwaysOn,
      endpointArn: this.endpoint.endpointArn,
      autoscaling,
      endpointUsdPerHour: Op.mul(inferenceUnits, ENDPOINT_PRICE_PER_INFERENCE_UNIT_HOUR),
      thresholds: {
        serverErrorPercent: percent(
          "api_5xx_alarm_percent",
          "Alarm when this percentage of the API's requests or more is answered 5XX for 10 of 15 minutes.",
          1,
        ),
        throttledPercent: percent(
          "api_throttled_alarm_percent",
          "Alarm when this percentage of the API's requests or more is answered 429 (throttled) for 10 of 15 minutes.",
          5,
        ),
        p99LatencyMs: variable("api_p99_latency_alarm_ms", {
          type: "number",
          description:
            "Alarm when the API's 99th percentile latency is above this many milliseconds for 10 of 15 minutes.",
          default: 3000,
          validation: [
            wholeNumberBetween("api_p99_latency_alarm_ms", 100, 29000, "API Gateway gives up at 29 s"),
          ],
        }).numberValue,
        idleHours: variable("endpoint_idle_alert_hours", {
          type: "number",
          description:
            "Alarm when the endpoint has served no request for this many hours (it is billed all the same). 0: no idle alarm.",
          default: 24,
          validation: [
            wholeNumberBetween(
              "endpoint_idle_alert_hours",
              0,
              168,
              "CloudWatch evaluates hourly alarms over 7 days at most",
            ),
          ],
        }).numberValue,
      },
    });

    const dashboard = new ClassifierDashboard(this, "dashboard", {
      namePrefix: prefix,
      region: region.stringValue,
      apiName: this.api.restApi.name,
      stageName: STAGE_NAME,
      endpointUnits: {
        namespace: COMPREHEND_ENDPOINT_METRICS.namespace,
        metrics: [
          [COMPREHEND_ENDPOINT_METRICS.provisionedUnits, "Average", "Provisioned inference units"],
          [COMPREHEND_ENDPOINT_METRICS.consumedUnits, "Sum", "Consumed inference units"],
          [COMPREHEND_ENDPOINT_METRICS.utilization, "Sum", "Utilization (%)"],
        ].map(([metricName, stat, label]) => ({
          metricName: metricName as string,
          stat: stat as string,
          label: label as string,
          dimensions: { [COMPREHEND_ENDPOINT_METRICS.dimension]: this.endpoint.endpointArn },
        })),
      },
      functionNames: (
        [
          "etl",
          "train",
          "notify",
          "batch",
          "classify",
          "corrections",
          "endpointLifecycle",
          "driftCheck",
        ] as const
      ).map((role) => functionName(prefix, role)),
    });

    const driftCheck = new DriftCheck(this, "drift_check", {
      namePrefix: prefix,
      store,
      topicArn,
      classifierArn,
      metricsNamespace: metricsNamespace(prefix),
      dashboardUrl: dashboard.url,
      docsUrl,
      network,
      logRetentionDays: logRetentionDays.numberValue,
      retrainAfterCorrections: this.retrainAfterCorrections,
      schedule: variable("drift_check_schedule", {
        type: "string",
        description:
          "When the drift check compares the last 7 days of answers with the served model's training data (EventBridge schedule, UTC).",
        default: "cron(0 6 ? * MON *)",
        validation: [
          {
            condition: hcl('can(regex("^(rate|cron)[(].+[)]$", var.drift_check_schedule))'),
            errorMessage: "drift_check_schedule must be an EventBridge rate(...) or cron(...) expression.",
          },
        ],
      }).stringValue,
      thresholds: {
        distance: variable("drift_distance_threshold", {
          type: "number",
          description:
            "Jensen-Shannon distance (0 = the same label mix, 1 = no label in common) between last week's answers and the training data from which the drift check emails. 0.2: one of ten labels going from 10% to 30% of tickets; chance alone gives about 0.09 for 200 answers over 10 labels and 0.15 over 24 (raise drift_min_answers for many labels).",
          default: DRIFT_DEFAULTS.distance,
          validation: [
            {
              condition: hcl("var.drift_distance_threshold > 0 && var.drift_distance_threshold <= 1"),
              errorMessage: "drift_distance_threshold must be above 0 and at most 1.",
            },
          ],
        }).numberValue,
        risePoints: percent(
          "drift_low_confidence_rise_points",
          "Rise of the share of low-confidence answers (percentage points, last week against the four weeks before) from which the drift check emails.",
          DRIFT_DEFAULTS.lowConfidenceRisePoints,
        ),
        minAnswers: variable("drift_min_answers", {
          type: "number",
          description: "Weeks with fewer answers are not judged (too few to tell drift from chance).",
          default: DRIFT_DEFAULTS.minAnswers,
          validation: [wholeNumberBetween("drift_min_answers", 50, 1000000)],
        }).numberValue,
      },
    });
    alarms.watchFunction("drift-check", driftCheck.fn);
    return { alarms, dashboard, driftCheck };
  }
}

export { INFERENCE_OUTPUTS };
