import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { S3BucketNotification } from "@cdktf/provider-aws/lib/s3-bucket-notification";
import type { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { Fn, type IResolvable } from "cdktf";
import { Construct } from "constructs";
import { ownedNamePrefix } from "../../contract/arns";
import { DATA_PREFIXES, SCORING_EMAILED_FILE } from "../../contract/data-layout";
import {
  BATCH_ENVIRONMENT,
  ETL_ENVIRONMENT,
  environmentFor,
  NOTIFY_ENVIRONMENT,
  TRAIN_ENVIRONMENT,
} from "../../contract/environment";
import { ETL_COMPLETED_FILTER, TRAINING_FINISHED_FILTER } from "../../contract/events";
import { functionName } from "../../contract/functions";
import { ComprehendDataAccessRole } from "./comprehend-data-access-role";
import { type DataStore, objectArns } from "./data-store";
import { NodeFunction } from "./node-function";
import { WORK_SPACE, type WorkFileSystem } from "./work-file-system";

export interface TrainingPipelineSettings {
  readonly etlMemorySize: number;
  readonly minDocsPerLabel: number;
  readonly maxDocBytes: number;
  readonly csvLabelColumn: string;
  readonly csvTextColumns: string;
  readonly trainingPricePerHour: number;
  readonly classifierCheckSchedule: string;
  /** Documents the ETL's local baseline samples; 0 turns it off. */
  readonly baselineMaxDocuments: number;
  /** Count CSV labels that differ only in case or spacing as one. */
  readonly mergeLabelVariants: boolean | IResolvable;
  /** Share of each label held out as the fixed test set; 0: Comprehend's own random 10%. */
  readonly testShare: number;
  /** Baseline macro-F1 below which training waits for the operator; 0: no bar. */
  readonly minBaselineMacroF1: number;
  /** The id column of backlog exports (batch_input/), e.g. "number". */
  readonly batchIdColumn: string;
  /** Below this top score a backlog ticket is flagged for review. */
  readonly batchReviewThreshold: number;
  /** Low-score backlog tickets join the review queue. */
  readonly reviewQueueEnabled: boolean | IResolvable;
  /** Trained models are scored on their test sample: the precision the thresholds aim at, and its size. */
  readonly autoRoutePrecision: number;
  readonly thresholdSampleDocuments: number;
  /** The classifier backlog jobs use; empty: the newest trained one of this app. */
  readonly batchClassifierArn: string;
}

export interface TrainingPipelineProps {
  readonly namePrefix: string;
  readonly region: string;
  readonly logRetentionDays: number;
  /** The data stack's bucket and key. */
  readonly store: DataStore;
  readonly workSpace: WorkFileSystem;
  readonly topic: SnsTopic;
  readonly network: {
    readonly subnetIds: string[];
    readonly functionSecurityGroupId: string;
    readonly comprehendJobSecurityGroupId: string;
  };
  readonly settings: TrainingPipelineSettings;
}

export { ETL_COMPLETED_FILTER, TRAINING_FINISHED_FILTER };

/**
 * The functions that move a dataset from upload to trained model (the original sample's
 * ExtractLoadTransformEndPointCreateStack, training half): S3 upload -> ETL -> SNS -> train -> Comprehend ->
 * output.tar.gz (or the scheduled check) -> notify -> operator's email.
 */
export class TrainingPipeline extends Construct {
  readonly etl: NodeFunction;
  readonly train: NodeFunction;
  readonly notify: NodeFunction;
  readonly batch: NodeFunction;
  readonly batchDataAccessRole: ComprehendDataAccessRole;
  readonly dataAccessRole: ComprehendDataAccessRole;
  readonly bucketNotification: S3BucketNotification;

  constructor(scope: Construct, id: string, props: TrainingPipelineProps) {
    super(scope, id);
    const { namePrefix, store, topic, settings } = props;
    const keyArn = store.keyArn;
    const functionNetwork = {
      subnetIds: props.network.subnetIds,
      securityGroupIds: [props.network.functionSecurityGroupId],
    };
    const common = {
      network: functionNetwork,
      logRetentionDays: props.logRetentionDays,
      logKmsKeyArn: keyArn,
      onFailureTopic: { arn: topic.arn, kmsKeyArn: keyArn },
    };
    const publishToTopic = [
      { sid: "PublishPipelineEvents", actions: ["sns:Publish"], resources: [topic.arn] },
      { sid: "EncryptTopicMessages", actions: ["kms:GenerateDataKey", "kms:Decrypt"], resources: [keyArn] },
    ];
    // Exactly this app's classifiers: `<prefix>--*` matches no other deployment's (contract/arns.ts).
    const classifierArns = `arn:${store.partition}:comprehend:${props.region}:${store.accountId}:document-classifier/${ownedNamePrefix(namePrefix)}*`;

    this.etl = new NodeFunction(this, "etl", {
      ...common,
      functionName: functionName(namePrefix, "etl"),
      bundle: "etl",
      description:
        "Turns a dataset upload under raw_data/ into Comprehend training files under prepped_data/",
      memorySize: settings.etlMemorySize,
      timeoutSeconds: 900,
      fileSystem: {
        accessPointArn: props.workSpace.accessPoint.arn,
        fileSystemArn: props.workSpace.fileSystem.arn,
        localMountPath: WORK_SPACE.path,
      },
      dependsOn: props.workSpace.mountTargets,
      environment: environmentFor(ETL_ENVIRONMENT, {
        TOPIC_ARN: topic.arn,
        NAME_PREFIX: namePrefix,
        WORK_DIR: WORK_SPACE.path,
        PREPPED_PREFIX: DATA_PREFIXES.prepped,
        REPORTS_PREFIX: DATA_PREFIXES.reports,
        MIN_DOCS_PER_LABEL: `${settings.minDocsPerLabel}`,
        MAX_DOC_BYTES: `${settings.maxDocBytes}`,
        CSV_LABEL_COLUMN: settings.csvLabelColumn,
        CSV_TEXT_COLUMNS: settings.csvTextColumns,
        BASELINE_MAX_DOCUMENTS: `${settings.baselineMaxDocuments}`,
        MIN_BASELINE_MACRO_F1: `${settings.minBaselineMacroF1}`,
        MERGE_LABEL_VARIANTS: `${settings.mergeLabelVariants}`,
        TEST_SHARE: Fn.tostring(settings.testShare),
      }),
      statements: [
        {
          sid: "ReadUploads",
          actions: ["s3:GetObject", "s3:GetObjectVersion"],
          resources: [
            objectArns(store, DATA_PREFIXES.raw),
            objectArns(store, DATA_PREFIXES.correctionsInput),
          ],
        },
        {
          // A retraining set is built from the served run's files, every correction and the request itself.
          sid: "ReadRetrainingSources",
          actions: ["s3:GetObject", "s3:GetObjectVersion"],
          resources: [
            objectArns(store, DATA_PREFIXES.retrainInput),
            objectArns(store, DATA_PREFIXES.prepped),
            objectArns(store, DATA_PREFIXES.corrections),
          ],
        },
        {
          // An imported export's corrections; reading them back is how a redelivery finds it done.
          sid: "WriteImportedCorrections",
          actions: ["s3:PutObject", "s3:GetObject"],
          resources: [`${store.bucketArn}/${DATA_PREFIXES.corrections}csv/*`],
        },
        {
          sid: "WriteTrainingDataAndReports",
          actions: ["s3:PutObject", "s3:AbortMultipartUpload"],
          resources: [objectArns(store, DATA_PREFIXES.prepped), objectArns(store, DATA_PREFIXES.reports)],
        },
        {
          // A finished run's report is how a duplicate S3 delivery is recognised.
          sid: "ReadReports",
          actions: ["s3:GetObject"],
          resources: [objectArns(store, DATA_PREFIXES.reports)],
        },
        {
          // Without it S3 answers a HeadObject for a report not written yet with 403 instead of 404. HeadObject
          // carries no s3:prefix, so a prefix condition would deny it too.
          sid: "TellMissingReports",
          actions: ["s3:ListBucket"],
          resources: [store.bucketArn],
        },
        { sid: "UseDataKey", actions: ["kms:Decrypt", "kms:GenerateDataKey"], resources: [keyArn] },
        ...publishToTopic,
      ],
    });

    this.dataAccessRole = new ComprehendDataAccessRole(this, "comprehend_data_access", {
      namePrefix,
      accountId: store.accountId,
      bucketArn: store.bucketArn,
      classifierArns,
      inputPrefix: DATA_PREFIXES.prepped,
      outputPrefix: DATA_PREFIXES.output,
      kmsKeyArn: keyArn,
    });

    this.train = new NodeFunction(this, "train", {
      ...common,
      functionName: functionName(namePrefix, "train"),
      bundle: "train",
      description: "Starts Comprehend classifier training when the ETL reports training data ready",
      timeoutSeconds: 60,
      environment: environmentFor(TRAIN_ENVIRONMENT, {
        TOPIC_ARN: topic.arn,
        NAME_PREFIX: namePrefix,
        BUCKET_NAME: store.bucketName,
        PREPPED_PREFIX: DATA_PREFIXES.prepped,
        OUTPUT_PREFIX: DATA_PREFIXES.output,
        DATA_ACCESS_ROLE_ARN: this.dataAccessRole.role.arn,
        KMS_KEY_ARN: keyArn,
        SUBNET_IDS: Fn.join(",", props.network.subnetIds),
        SECURITY_GROUP_IDS: props.network.comprehendJobSecurityGroupId,
        TRAINING_PRICE_PER_HOUR: `${settings.trainingPricePerHour}`,
      }),
      statements: [
        {
          sid: "StartTraining",
          actions: [
            "comprehend:CreateDocumentClassifier",
            "comprehend:DescribeDocumentClassifier",
            "comprehend:ListTagsForResource",
            "comprehend:TagResource",
          ],
          resources: [classifierArns],
        },
        {
          sid: "PassDataAccessRole",
          actions: ["iam:PassRole"],
          resources: [this.dataAccessRole.role.arn],
          condition: [
            { test: "StringEquals", variable: "iam:PassedToService", values: ["comprehend.amazonaws.com"] },
          ],
        },
        {
          // Comprehend creates grants on the key for the training volume and the model it encrypts.
          sid: "LetComprehendUseKey",
          actions: ["kms:CreateGrant"],
          resources: [keyArn],
          condition: [{ test: "Bool", variable: "kms:GrantIsForAWSResource", values: ["true"] }],
        },
        // Its own statement: DescribeKey requests carry no kms:GrantIsForAWSResource, so that condition would deny it.
        { sid: "DescribeKey", actions: ["kms:DescribeKey"], resources: [keyArn] },
        ...publishToTopic,
      ],
    });

    this.notify = new NodeFunction(this, "notify", {
      ...common,
      functionName: functionName(namePrefix, "notify"),
      bundle: "notify",
      description: "Reports finished or failed classifier training to the operator",
      timeoutSeconds: 120,
      environment: environmentFor(NOTIFY_ENVIRONMENT, {
        TOPIC_ARN: topic.arn,
        NAME_PREFIX: namePrefix,
        OUTPUT_PREFIX: DATA_PREFIXES.output,
        REPORTS_PREFIX: DATA_PREFIXES.reports,
        TRAINING_PRICE_PER_HOUR: `${settings.trainingPricePerHour}`,
      }),
      statements: [
        {
          sid: "ReadAndMarkClassifiers",
          actions: [
            "comprehend:DescribeDocumentClassifier",
            "comprehend:ListTagsForResource",
            "comprehend:TagResource",
          ],
          resources: [classifierArns],
        },
        {
          // ListDocumentClassifiers has no resource-level permissions.
          sid: "FindClassifiers",
          actions: ["comprehend:ListDocumentClassifiers"],
          resources: ["*"],
        },
        {
          // Comprehend's confusion matrix (output.tar.gz) and the ETL's baseline, for the side-by-side report.
          sid: "ReadModelOutputAndBaseline",
          actions: ["s3:GetObject"],
          resources: [objectArns(store, DATA_PREFIXES.output), objectArns(store, DATA_PREFIXES.reports)],
        },
        {
          sid: "WriteModelReport",
          actions: ["s3:PutObject"],
          resources: [objectArns(store, DATA_PREFIXES.reports)],
        },
        {
          // A run without a baseline answers 404 only with ListBucket (403 otherwise).
          sid: "TellMissingBaseline",
          actions: ["s3:ListBucket"],
          resources: [store.bucketArn],
        },
        ...publishToTopic,
      ],
    });

    // Backlogs: asynchronous classification jobs of this app's classifiers, no endpoint needed. Their role reads
    // and writes the batch prefixes only, and only this app's jobs may assume it.
    const jobArns = `arn:${store.partition}:comprehend:${props.region}:${store.accountId}:document-classification-job/*`;
    this.batchDataAccessRole = new ComprehendDataAccessRole(this, "comprehend_batch_access", {
      namePrefix,
      accountId: store.accountId,
      bucketArn: store.bucketArn,
      classifierArns: jobArns,
      inputPrefix: DATA_PREFIXES.batchOutput,
      outputPrefix: DATA_PREFIXES.batchOutput,
      kmsKeyArn: keyArn,
      purpose: "batch",
    });
    this.batch = new NodeFunction(this, "batch", {
      ...common,
      functionName: functionName(namePrefix, "batch"),
      bundle: "batch",
      description:
        "Classifies backlog exports under batch_input/ with asynchronous jobs; joins their results",
      memorySize: 2048,
      timeoutSeconds: 300,
      environment: environmentFor(BATCH_ENVIRONMENT, {
        TOPIC_ARN: topic.arn,
        NAME_PREFIX: namePrefix,
        DATA_BUCKET: store.bucketName,
        BATCH_INPUT_PREFIX: DATA_PREFIXES.batchInput,
        BATCH_OUTPUT_PREFIX: DATA_PREFIXES.batchOutput,
        DATA_ACCESS_ROLE_ARN: this.batchDataAccessRole.role.arn,
        KMS_KEY_ARN: keyArn,
        SUBNET_IDS: Fn.join(",", props.network.subnetIds),
        SECURITY_GROUP_IDS: props.network.comprehendJobSecurityGroupId,
        BATCH_ID_COLUMN: settings.batchIdColumn,
        CSV_TEXT_COLUMNS: settings.csvTextColumns,
        REVIEW_THRESHOLD: `${settings.batchReviewThreshold}`,
        REVIEW_QUEUE: `${settings.reviewQueueEnabled}`,
        CLASSIFIER_ARN: settings.batchClassifierArn,
        PREPPED_PREFIX: DATA_PREFIXES.prepped,
        REPORTS_PREFIX: DATA_PREFIXES.reports,
        AUTO_ROUTE_PRECISION: Fn.tostring(settings.autoRoutePrecision),
        THRESHOLD_SAMPLE_DOCUMENTS: Fn.tostring(settings.thresholdSampleDocuments),
      }),
      statements: [
        {
          // A trained model is scored on a sample of its run's test file; the served one's ARN is in the report.
          sid: "ReadTestSetsAndReports",
          actions: ["s3:GetObject"],
          resources: [
            `${store.bucketArn}/${DATA_PREFIXES.prepped}*.test.csv`,
            objectArns(store, DATA_PREFIXES.reports),
          ],
        },
        {
          // The scores, the routing thresholds and the comparison of versions, beside the run's other reports.
          sid: "WriteScoringReports",
          actions: ["s3:PutObject"],
          resources: [objectArns(store, DATA_PREFIXES.reports)],
        },
        {
          // Taken back when the scoring email could not be sent, so that Lambda's retry sends it.
          sid: "RetractScoringEmailMarker",
          actions: ["s3:DeleteObject"],
          resources: [`${store.bucketArn}/${DATA_PREFIXES.reports}*/${SCORING_EMAILED_FILE}`],
        },
        {
          sid: "ReadBacklogs",
          actions: ["s3:GetObject", "s3:GetObjectVersion"],
          resources: [objectArns(store, DATA_PREFIXES.batchInput)],
        },
        {
          sid: "WriteAndReadBatches",
          actions: ["s3:GetObject", "s3:PutObject"],
          resources: [objectArns(store, DATA_PREFIXES.batchOutput)],
        },
        {
          // Low-score tickets join the review queue the API's answers go to.
          sid: "QueueForReview",
          actions: ["s3:PutObject"],
          resources: [objectArns(store, DATA_PREFIXES.reviewQueue)],
        },
        {
          // A batch's marker not written yet answers 404 only with ListBucket (403 otherwise).
          sid: "TellMissingMarkers",
          actions: ["s3:ListBucket"],
          resources: [store.bucketArn],
        },
        {
          // StartDocumentClassificationJob is authorized against the classifier and the job.
          sid: "StartJobsWithThisAppsClassifiers",
          actions: ["comprehend:StartDocumentClassificationJob"],
          resources: [classifierArns, `${classifierArns}/version/*`, jobArns],
        },
        {
          // A classifier named on an upload is checked (trained, this Region) before a job is started with it.
          sid: "CheckNamedClassifier",
          actions: ["comprehend:DescribeDocumentClassifier"],
          resources: [classifierArns, `${classifierArns}/version/*`],
        },
        { sid: "TagJobs", actions: ["comprehend:TagResource"], resources: [jobArns] },
        {
          sid: "FollowJobs",
          actions: ["comprehend:DescribeDocumentClassificationJob"],
          resources: [jobArns],
        },
        {
          // Neither list action has resource-level permissions: the newest trained classifier is the default, and
          // failed or stopped jobs are found by listing (they write no output to trigger on).
          sid: "FindClassifiersAndJobs",
          actions: ["comprehend:ListDocumentClassifiers", "comprehend:ListDocumentClassificationJobs"],
          resources: ["*"],
        },
        {
          sid: "PassBatchDataAccessRole",
          actions: ["iam:PassRole"],
          resources: [this.batchDataAccessRole.role.arn],
          condition: [
            { test: "StringEquals", variable: "iam:PassedToService", values: ["comprehend.amazonaws.com"] },
          ],
        },
        {
          sid: "UseDataKey",
          actions: ["kms:Decrypt", "kms:GenerateDataKey", "kms:CreateGrant", "kms:DescribeKey"],
          resources: [keyArn],
        },
        ...publishToTopic,
      ],
    });

    // S3 -> ETL and S3 -> notify share the bucket's single notification configuration: a second
    // aws_s3_bucket_notification for the same bucket would overwrite the first on every apply.
    const allowS3 = (fn: NodeFunction, name: string) =>
      new LambdaPermission(this, `${name}_invoke_from_s3`, {
        action: "lambda:InvokeFunction",
        functionName: fn.function.functionName,
        principal: "s3.amazonaws.com",
        sourceArn: store.bucketArn,
        sourceAccount: store.accountId,
      });
    const etlPermission = allowS3(this.etl, "etl");
    const notifyPermission = allowS3(this.notify, "notify");
    const batchPermission = allowS3(this.batch, "batch");
    this.bucketNotification = new S3BucketNotification(this, "bucket_notification", {
      bucket: store.bucketName,
      lambdaFunction: [
        // S3 suffix filters are case-sensitive; the ETL accepts either case.
        ...[".zip", ".csv", ".ZIP", ".CSV"].map((suffix) => ({
          id: `etl-on-upload${suffix.replace(".", "-").toLowerCase()}${suffix === suffix.toUpperCase() ? "-upper" : ""}`,
          lambdaFunctionArn: this.etl.function.arn,
          events: ["s3:ObjectCreated:*"],
          filterPrefix: DATA_PREFIXES.raw,
          filterSuffix: suffix,
        })),
        ...[".csv", ".CSV"].map((suffix) => ({
          id: `etl-on-corrections${suffix === ".CSV" ? "-upper" : ""}`,
          events: ["s3:ObjectCreated:*"],
          lambdaFunctionArn: this.etl.function.arn,
          filterPrefix: DATA_PREFIXES.correctionsInput,
          filterSuffix: suffix,
        })),
        {
          id: "etl-on-retrain-request",
          events: ["s3:ObjectCreated:*"],
          lambdaFunctionArn: this.etl.function.arn,
          filterPrefix: DATA_PREFIXES.retrainInput,
          filterSuffix: ".json",
        },
        ...[".csv", ".CSV"].map((suffix) => ({
          id: `batch-on-backlog${suffix === ".CSV" ? "-upper" : ""}`,
          lambdaFunctionArn: this.batch.function.arn,
          events: ["s3:ObjectCreated:*"],
          filterPrefix: DATA_PREFIXES.batchInput,
          filterSuffix: suffix,
        })),
        {
          id: "batch-on-job-output",
          lambdaFunctionArn: this.batch.function.arn,
          events: ["s3:ObjectCreated:*"],
          filterPrefix: DATA_PREFIXES.batchOutput,
          filterSuffix: "output.tar.gz",
        },
        {
          id: "notify-on-model-output",
          lambdaFunctionArn: this.notify.function.arn,
          events: ["s3:ObjectCreated:*"],
          filterPrefix: DATA_PREFIXES.output,
          filterSuffix: "output.tar.gz",
        },
      ],
      dependsOn: [etlPermission, notifyPermission, batchPermission],
    });

    // The functions that act on a pipeline event, each subscribed to that event only.
    const subscribe = (fn: NodeFunction, name: string, subscriptionId: string, filter: object) => {
      new LambdaPermission(this, `${name}_invoke_from_sns`, {
        action: "lambda:InvokeFunction",
        functionName: fn.function.functionName,
        principal: "sns.amazonaws.com",
        sourceArn: topic.arn,
      });
      new SnsTopicSubscription(this, subscriptionId, {
        topicArn: topic.arn,
        protocol: "lambda",
        endpoint: fn.function.arn,
        filterPolicyScope: "MessageAttributes",
        filterPolicy: JSON.stringify(filter),
      });
    };
    subscribe(this.batch, "batch", "batch_scoring_subscription", TRAINING_FINISHED_FILTER);
    subscribe(this.train, "train", "train_subscription", ETL_COMPLETED_FILTER);

    // Comprehend writes no output.tar.gz for a failed or stopped training or batch job, so a schedule catches those.
    const check = new CloudwatchEventRule(this, "classifier_check_schedule", {
      name: `${namePrefix}-classifier-check`,
      description: "Reports the app's classifiers and batch jobs that finished, failed or were stopped",
      scheduleExpression: settings.classifierCheckSchedule,
    });
    new CloudwatchEventTarget(this, "classifier_check_target", {
      rule: check.name,
      arn: this.notify.function.arn,
    });
    new LambdaPermission(this, "notify_invoke_from_schedule", {
      action: "lambda:InvokeFunction",
      functionName: this.notify.function.functionName,
      principal: "events.amazonaws.com",
      sourceArn: check.arn,
    });
    new CloudwatchEventTarget(this, "batch_check_target", {
      rule: check.name,
      arn: this.batch.function.arn,
    });
    new LambdaPermission(this, "batch_invoke_from_schedule", {
      action: "lambda:InvokeFunction",
      functionName: this.batch.function.functionName,
      principal: "events.amazonaws.com",
      sourceArn: check.arn,
    });
  }
}
