import { Fn, Op, TerraformVariable, type TerraformVariableConfig } from "cdktf";
import type { Construct } from "constructs";
import { CLASSIFIER_ARN_PATTERN } from "../contract/arns";
import { DEFAULT_REVIEW_THRESHOLD } from "../contract/batch";
import {
  DEFAULT_BASELINE_MAX_DOCUMENTS,
  DEFAULT_TRAINING_PRICE_PER_HOUR,
  ETL_DEFAULTS,
} from "../contract/environment";
import { SCORING_DEFAULTS } from "../contract/scoring";
import { AppStack, type AppStackProps } from "./app-stack";
import { CostBudget } from "./constructs/cost-budget";
import { type DataStore, dataStoreFromState } from "./constructs/data-store";
import { NotificationTopic } from "./constructs/notification-topic";
import { docsUrlVariable, OperatorAlarms } from "./constructs/operator-alarms";
import { hcl, wholeNumberBetween } from "./constructs/terraform-expression";
import { TrainingPipeline, type TrainingPipelineSettings } from "./constructs/training-pipeline";
import { WorkFileSystem } from "./constructs/work-file-system";
import { DATA_OUTPUTS, NETWORK_OUTPUTS, TRAINING_OUTPUTS } from "./outputs";

/**
 * Everything that turns an upload into a trained classifier: the original sample's EFSStack, S3Stack, SNSStack
 * and the ETL/training part of ExtractLoadTransformEndPointCreateStack.
 */
export class TrainingStack extends AppStack {
  readonly store: DataStore;
  readonly workSpace: WorkFileSystem;
  readonly notifications: NotificationTopic;
  readonly pipeline: TrainingPipeline;
  readonly alarms: OperatorAlarms;

  constructor(scope: Construct, props: AppStackProps) {
    super(scope, "training", props);
    const { namePrefix, region, logRetentionDays } = this.variables;
    const network = this.upstreamOutputs("network", NETWORK_OUTPUTS);

    const notificationEmail = new TerraformVariable(this, "notification_email", {
      type: "string",
      description:
        "Email address that receives the pipeline's reports (confirm the subscription email AWS sends).",
      validation: [
        {
          condition: hcl('can(regex("^[^@\\\\s]+@[^@\\\\s]+\\\\.[^@\\\\s]+$", var.notification_email))'),
          errorMessage: "notification_email must be an email address such as ops@example.com.",
        },
      ],
    });
    const store = dataStoreFromState(this.upstreamOutputs("data", DATA_OUTPUTS));
    const subnetIds = network.getList("private_subnet_ids");
    this.workSpace = new WorkFileSystem(this, "work_space", {
      namePrefix: namePrefix.stringValue,
      kmsKeyArn: store.keyArn,
      // Two subnets, one per Availability Zone (see the network stack).
      subnetIds: [0, 1].map((index) => Fn.element(subnetIds, index)),
      securityGroupId: network.getString("efs_security_group_id"),
    });
    this.notifications = new NotificationTopic(this, "notifications", {
      namePrefix: namePrefix.stringValue,
      kmsKeyArn: store.keyArn,
      notificationEmail: notificationEmail.stringValue,
      partition: store.partition,
      region: region.stringValue,
      accountId: store.accountId,
    });

    this.store = store;
    this.pipeline = new TrainingPipeline(this, "pipeline", {
      namePrefix: namePrefix.stringValue,
      region: region.stringValue,
      settings: this.pipelineSettings(),
      logRetentionDays: logRetentionDays.numberValue,
      store,
      workSpace: this.workSpace,
      topic: this.notifications.topic,
      network: {
        subnetIds,
        functionSecurityGroupId: network.getString("functions_security_group_id"),
        comprehendJobSecurityGroupId: network.getString("comprehend_jobs_security_group_id"),
      },
    });

    this.workSpace.allowOnly([this.pipeline.etl.role.arn]);
    this.alarms = this.pipelineAlarms();

    new CostBudget(this, "cost_budget", {
      namePrefix: namePrefix.stringValue,
      notificationEmail: notificationEmail.stringValue,
      monthlyUsd: new TerraformVariable(this, "monthly_budget_usd", {
        type: "number",
        description:
          "A monthly AWS Budgets cost budget in USD on the app's resources (their app tag), emailing notification_email at 80% of actual and 100% of forecast cost. 0: no budget.",
        default: 0,
        validation: [
          {
            condition: hcl("var.monthly_budget_usd >= 0"),
            errorMessage: "monthly_budget_usd must be 0 (no budget) or a positive amount of US dollars.",
          },
        ],
      }).numberValue,
      activateTag: new TerraformVariable(this, "activate_cost_allocation_tag", {
        type: "bool",
        description:
          "Activate the app tag as a cost allocation tag, which the budget filters on. Only the payer (management) account can, and only once the tag has reached billing data, about a day after the first deploy; otherwise activate it in the Billing console, Cost allocation tags.",
        default: false,
      }).booleanValue,
    });

    this.outputs();
  }

  /** Every pipeline function's errors, throttles and lost events; the ETL's runs nearing its timeout. */
  private pipelineAlarms(): OperatorAlarms {
    const alarms = new OperatorAlarms(this, "alarms", {
      namePrefix: this.variables.namePrefix.stringValue,
      topicArn: this.notifications.topic.arn,
      docsUrl: docsUrlVariable(this).stringValue,
    });
    const { etl, train, notify, batch } = this.pipeline;
    for (const [subject, fn] of Object.entries({ etl, train, notify, batch }))
      alarms.watchFunction(subject, fn);
    const percent = new TerraformVariable(this, "etl_duration_alarm_percent", {
      type: "number",
      description:
        "Alarm when an ETL run takes longer than this share (percent) of the function's timeout: a somewhat larger dataset would fail.",
      default: 80,
      validation: [wholeNumberBetween("etl_duration_alarm_percent", 10, 100)],
    }).numberValue;
    alarms.add("etlDuration", {
      namespace: "AWS/Lambda",
      metricName: "Duration",
      dimensions: { FunctionName: etl.function.functionName },
      statistic: "Maximum",
      period: 300,
      evaluationPeriods: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      // Duration is in milliseconds.
      threshold: Fn.floor(Op.mul(Op.div(percent, 100), etl.timeoutSeconds * 1000)),
      // Most days nothing is uploaded.
      treatMissingData: "notBreaching",
      detail: `Raise etl_memory_size (more memory, more CPU) or split the dataset; the timeout is ${etl.timeoutSeconds / 60} minutes, Lambda's maximum.`,
    });
    return alarms;
  }

  private outputs(): void {
    const outputs: Record<(typeof TRAINING_OUTPUTS)[number], { value: string; description: string }> = {
      s3_bucket_name: {
        value: this.store.bucketName,
        description: "Bucket to upload datasets to, under raw_data/ (the data stack's, repeated here).",
      },
      s3_bucket_arn: {
        value: this.store.bucketArn,
        description: "ARN of the data bucket (the data stack's).",
      },
      kms_key_arn: {
        value: this.store.keyArn,
        description: "ARN of the KMS key that encrypts the app's data (the data stack's).",
      },
      sns_topic_arn: { value: this.notifications.topic.arn, description: "ARN of the pipeline's SNS topic." },
      efs_file_system_id: {
        value: this.workSpace.fileSystem.id,
        description: "ID of the ETL's EFS work space.",
      },
      etl_function_name: {
        value: this.pipeline.etl.function.functionName,
        description: "Name of the ETL function.",
      },
      train_function_name: {
        value: this.pipeline.train.function.functionName,
        description: "Name of the function that starts classifier training.",
      },
      notify_function_name: {
        value: this.pipeline.notify.function.functionName,
        description: "Name of the function that reports training results.",
      },
      resource_name_prefix: {
        value: this.variables.namePrefix.stringValue,
        description:
          "Prefix of the app's resource and classifier names (npm run status finds classifiers by it).",
      },
    };
    this.declareOutputs(outputs);
  }

  private pipelineSettings(): TrainingPipelineSettings {
    const variable = (name: string, config: TerraformVariableConfig) =>
      new TerraformVariable(this, name, config);
    return {
      etlMemorySize: variable("etl_memory_size", {
        type: "number",
        description:
          "Memory of the ETL function in MB. Lambda gives CPU in proportion (1,769 MB = 1 vCPU); the ETL decompresses dataset members on every core it gets.",
        default: 4096,
        validation: [
          wholeNumberBetween("etl_memory_size", 1024, 10240, "Lambda's memory range for this workload"),
        ],
      }).numberValue,
      minDocsPerLabel: variable("min_docs_per_label", {
        type: "number",
        description:
          "Labels with fewer training documents are left out of training (Comprehend needs at least 50).",
        default: ETL_DEFAULTS.minDocsPerLabel,
        validation: [
          wholeNumberBetween("min_docs_per_label", 50, 1000000, "Comprehend's multi-class minimum is 50"),
        ],
      }).numberValue,
      maxDocBytes: variable("max_doc_bytes", {
        type: "number",
        description: "Longer documents are cut, at a character boundary, to this many UTF-8 bytes.",
        default: ETL_DEFAULTS.maxDocBytes,
        validation: [
          wholeNumberBetween("max_doc_bytes", 100, 10000, "ClassifyDocument accepts at most 10,000 bytes"),
        ],
      }).numberValue,
      csvLabelColumn: variable("csv_label_column", {
        type: "string",
        description: "For CSV ticket exports uploaded to raw_data/: the column holding the label.",
        default: ETL_DEFAULTS.csvLabelColumn,
      }).stringValue,
      csvTextColumns: Fn.join(
        ",",
        variable("csv_text_columns", {
          type: "list(string)",
          description: "For CSV ticket exports: the columns joined into each document's text.",
          default: [...ETL_DEFAULTS.csvTextColumns],
          validation: [
            {
              condition: hcl(
                'length(var.csv_text_columns) > 0 && alltrue([for column in var.csv_text_columns : trimspace(column) != "" && !strcontains(column, ",")])',
              ),
              errorMessage:
                "csv_text_columns needs at least one column name; names may not be blank or contain commas.",
            },
          ],
        }).listValue,
      ),
      testShare: variable("test_share", {
        type: "number",
        description:
          "Share of each label's documents the ETL holds out as the fixed test set (test.csv beside the training data, Comprehend's TestS3Uri): Comprehend's metrics are measured on exactly these, so versions compare on the same documents. A label keeps min_docs_per_label training documents after it. 0: Comprehend holds out a random 10% itself.",
        default: ETL_DEFAULTS.testShare,
        validation: [
          {
            condition: hcl("var.test_share >= 0 && var.test_share <= 0.5"),
            errorMessage: "test_share must be from 0 (Comprehend's own split) to 0.5.",
          },
        ],
      }).numberValue,
      mergeLabelVariants: variable("merge_label_variants", {
        type: "bool",
        description:
          'For CSV exports: count labels that differ only in case or spacing ("Network Team", "network team") as one, under the first spelling seen. The Dataset ready email warns about such labels either way.',
        default: false,
      }).booleanValue,
      trainingPricePerHour: variable("training_price_per_hour", {
        type: "number",
        description:
          "Comprehend custom classifier training price in USD per hour, used for cost lines in the emails.",
        default: DEFAULT_TRAINING_PRICE_PER_HOUR,
        validation: [
          {
            condition: hcl("var.training_price_per_hour > 0"),
            errorMessage: "training_price_per_hour must be a positive number of US dollars.",
          },
        ],
      }).numberValue,
      baselineMaxDocuments: variable("baseline_max_documents", {
        type: "number",
        description:
          "Documents the ETL samples for its local baseline (a linear model's accuracy and confusion matrix, in the ready-for-training email) before Comprehend trains; 0 turns it off.",
        default: DEFAULT_BASELINE_MAX_DOCUMENTS,
        validation: [
          wholeNumberBetween(
            "baseline_max_documents",
            0,
            200000,
            "about a minute per 100,000 on the function's cores",
          ),
        ],
      }).numberValue,
      minBaselineMacroF1: variable("min_baseline_macro_f1", {
        type: "number",
        description:
          "Optional bar (0 to 1) for the ETL's baseline macro-F1: below it, training does not start by itself and the email gives the command that starts it. 0: no bar.",
        default: 0,
        validation: [
          {
            condition: hcl("var.min_baseline_macro_f1 >= 0 && var.min_baseline_macro_f1 <= 1"),
            errorMessage: "min_baseline_macro_f1 must be from 0 (no bar) to 1.",
          },
        ],
      }).numberValue,
      batchIdColumn: variable("batch_id_column", {
        type: "string",
        description:
          "For backlog exports uploaded to batch_input/: the column that identifies a ticket (its results are keyed by it).",
        default: "number",
        validation: [
          {
            condition: hcl('trimspace(var.batch_id_column) != ""'),
            errorMessage: "batch_id_column must name a column.",
          },
        ],
      }).stringValue,
      batchReviewThreshold: variable("batch_review_threshold", {
        type: "number",
        description:
          "Backlog tickets whose top score is below this are flagged needs_review in the results (0 to 1), until the classifier has its own per-label thresholds from scoring (auto_route_precision).",
        default: DEFAULT_REVIEW_THRESHOLD,
        validation: [
          {
            condition: hcl("var.batch_review_threshold >= 0 && var.batch_review_threshold <= 1"),
            errorMessage: "batch_review_threshold must be from 0 to 1.",
          },
        ],
      }).numberValue,
      autoRoutePrecision: variable("auto_route_precision", {
        type: "number",
        description:
          "Each trained model is scored on a sample of its test documents; a label's answers route themselves from the score at which they are this often right (the API's decision, the batch results' needs_review). Above 0, at most 1.",
        default: SCORING_DEFAULTS.autoRoutePrecision,
        validation: [
          {
            condition: hcl("var.auto_route_precision > 0 && var.auto_route_precision <= 1"),
            errorMessage: "auto_route_precision must be above 0 and at most 1, e.g. 0.9.",
          },
        ],
      }).numberValue,
      thresholdSampleDocuments: variable("threshold_sample_documents", {
        type: "number",
        description:
          "At most this many test documents (every label kept) are scored per model for the thresholds and the comparison of versions; asynchronous classification is billed per character (at least 300 per document): 5,000 documents of 300 characters cost about $7.50.",
        default: SCORING_DEFAULTS.sampleDocuments,
        validation: [
          {
            condition: hcl(
              "var.threshold_sample_documents >= 100 && var.threshold_sample_documents <= 100000 && floor(var.threshold_sample_documents) == var.threshold_sample_documents",
            ),
            errorMessage: "threshold_sample_documents must be a whole number from 100 to 100000.",
          },
        ],
      }).numberValue,
      reviewQueueEnabled: variable("review_queue_enabled", {
        type: "bool",
        description:
          "Low-score tickets (the API's and the backlog jobs') go to the review queue in the data bucket, review/queue/, for a person to label with npm run review.",
        default: true,
      }).booleanValue,
      batchClassifierArn: variable("batch_classifier_arn", {
        type: "string",
        description:
          "The classifier backlog jobs use (one of this app's); empty: the newest trained one. An upload's classifier-arn metadata overrides it.",
        default: "",
        validation: [
          {
            condition: hcl(
              `var.batch_classifier_arn == "" || can(regex("${CLASSIFIER_ARN_PATTERN}", var.batch_classifier_arn))`,
            ),
            errorMessage: "batch_classifier_arn must be empty or a Comprehend document classifier ARN.",
          },
        ],
      }).stringValue,
      classifierCheckSchedule: variable("classifier_check_schedule", {
        type: "string",
        description:
          "How often the app's classifiers in training and batch jobs are checked for failure (EventBridge schedule).",
        default: "rate(30 minutes)",
        validation: [
          {
            condition: hcl('can(regex("^(rate|cron)[(].+[)]$", var.classifier_check_schedule))'),
            errorMessage:
              "classifier_check_schedule must be an EventBridge rate(...) or cron(...) expression.",
          },
        ],
      }).stringValue,
    };
  }
}

export { TRAINING_OUTPUTS };
