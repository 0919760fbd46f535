import type { CreateDocumentClassifierCommandInput } from "@aws-sdk/client-comprehend";
import {
  classifierArn,
  classifierName,
  classifierVersionName,
  clientRequestToken,
  TAG_APP,
  TAG_RUN_ID,
} from "../pipeline-shared/naming";
import { formatUsd } from "../pipeline-shared/pricing";
import type { PipelineEvent } from "../shared/events";
import { labelsByDocumentCount } from "../shared/labels";
import type { TrainConfig } from "./config";
import { type EtlCompleted, outputDataUri } from "./etl-completed";

/** The ARN Comprehend gives the run's classifier, known before it exists so a redelivery can look it up. */
export function expectedClassifierArn(config: TrainConfig, runId: string, versionOf?: string): string {
  return classifierArn({
    partition: config.partition,
    region: config.region,
    account: config.account,
    name: nameOf(config, { run_id: runId, version_of: versionOf }),
    version: classifierVersionName(runId),
  });
}

/** A first training names its own classifier; a retraining adds a version to the served one's. */
export function nameOf(config: TrainConfig, etl: Pick<EtlCompleted, "run_id" | "version_of">): string {
  return etl.version_of ?? classifierName(config.namePrefix, etl.run_id);
}

/**
 * Everything about the training job is fixed by the run id and the stack: the same message always produces
 * the same request, which is what makes ClientRequestToken and the name/version pair idempotent.
 */
export function buildCreateClassifierInput(
  config: TrainConfig,
  etl: EtlCompleted,
): CreateDocumentClassifierCommandInput {
  const runId = etl.run_id;
  return {
    DocumentClassifierName: nameOf(config, etl),
    VersionName: classifierVersionName(runId),
    ClientRequestToken: clientRequestToken(runId),
    Mode: "MULTI_CLASS",
    LanguageCode: "en",
    DataAccessRoleArn: config.dataAccessRoleArn,
    // With a test file Comprehend reports its metrics on exactly those documents (DocumentClassifierInputDataConfig,
    // TestS3Uri); without one it holds out 10% of the training data at random.
    InputDataConfig: {
      DataFormat: "COMPREHEND_CSV",
      S3Uri: etl.training_data_uri,
      ...(etl.test_data_uri && { TestS3Uri: etl.test_data_uri }),
    },
    OutputDataConfig: { S3Uri: outputDataUri(config, runId), KmsKeyId: config.kmsKeyArn },
    VolumeKmsKeyId: config.kmsKeyArn,
    ModelKmsKeyId: config.kmsKeyArn,
    VpcConfig: { SecurityGroupIds: [...config.securityGroupIds], Subnets: [...config.subnetIds] },
    Tags: [
      { Key: TAG_RUN_ID, Value: runId },
      { Key: TAG_APP, Value: config.namePrefix },
    ],
  };
}

export interface TrainingStartedDetail {
  readonly run_id: string;
  readonly classifier_arn: string;
  readonly classifier_name: string;
  readonly label_count: number;
  readonly document_count: number;
  readonly training_data_uri: string;
  readonly output_data_uri: string;
  readonly price_per_hour_usd: number;
}

function labelLines(labelCounts: Readonly<Record<string, number>>): string[] {
  return labelsByDocumentCount(labelCounts).map(([label, n]) => `  ${label}: ${n.toLocaleString("en-US")}`);
}

export function trainingStartedEvent(
  config: TrainConfig,
  etl: EtlCompleted,
  arn: string,
): PipelineEvent<TrainingStartedDetail> {
  const name = nameOf(config, etl);
  const rate = formatUsd(config.pricePerHour);
  const labels = labelLines(etl.label_counts);
  const text = [
    etl.version_of
      ? `Amazon Comprehend started training a new version of ${etl.version_of}: version ${etl.run_id}, on the served model's documents and the corrections.`
      : `Amazon Comprehend started training the document classifier for run ${etl.run_id}.`,
    "",
    `Classifier ARN: ${arn}`,
    `Training data: ${etl.training_data_uri}`,
    `Documents: ${etl.document_count.toLocaleString("en-US")}`,
    `Labels: ${etl.label_count}`,
    ...(labels.length > 0 ? ["", "Documents per label:", ...labels] : []),
    ...(etl.report_uri ? ["", `Training data report: ${etl.report_uri}`] : []),
    "",
    "Training takes hours, often several. Comprehend bills training by the hour, " +
      `at ${rate} per hour for this deployment, from when training starts until it ends.`,
    "",
    "You will get another email when training ends: with the model's accuracy, the training time, " +
      "what it cost and how to deploy the model, or with the reason it failed. There is nothing to do until then.",
  ].join("\n");
  return {
    eventType: "training_started",
    subject: `Training started: ${name}`,
    text,
    detail: {
      run_id: etl.run_id,
      classifier_arn: arn,
      classifier_name: name,
      label_count: etl.label_count,
      document_count: etl.document_count,
      training_data_uri: etl.training_data_uri,
      output_data_uri: outputDataUri(config, etl.run_id),
      price_per_hour_usd: config.pricePerHour,
    },
  };
}
