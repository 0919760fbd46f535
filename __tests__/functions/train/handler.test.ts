import "../../fixtures/train/env";
import {
  ComprehendClient,
  CreateDocumentClassifierCommand,
  DescribeDocumentClassifierCommand,
  ListTagsForResourceCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  TagResourceCommand,
  TooManyRequestsException,
} from "@aws-sdk/client-comprehend";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { Context, SNSEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { handler } from "../../../functions/train/handler";
import etlCompleted from "../../fixtures/train/etl-completed.json";
import etlCompletedOtherBucket from "../../fixtures/train/etl-completed-other-bucket.json";
import etlFailed from "../../fixtures/train/etl-failed.json";
import { publishedEvent } from "../published-events";

const comprehend = mockClient(ComprehendClient);
const sns = mockClient(SNSClient);

const RUN_ID = "dataverse-files-3fa9c2d41b7e";
const NAME = `itsr--${RUN_ID}`;
const ARN = `arn:aws:comprehend:us-east-1:111122223333:document-classifier/${NAME}/version/${RUN_ID}`;
const context = {
  functionName: "itsr-train",
  awsRequestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
} as Context;

function event(fixture: unknown): SNSEvent {
  return structuredClone(fixture) as SNSEvent;
}

/** The fixture's SNS event with its message detail changed, as another publisher could send it. */
function withMessage(change: (detail: Record<string, unknown>) => void): SNSEvent {
  const copy = event(etlCompleted);
  const record = copy.Records[0];
  if (!record) throw new Error("fixture has no record");
  const detail = JSON.parse(record.Sns.Message) as Record<string, unknown>;
  change(detail);
  record.Sns.Message = JSON.stringify(detail);
  return copy;
}

function notFound(): ResourceNotFoundException {
  return new ResourceNotFoundException({ message: "Resource not found", $metadata: {} });
}

const published = (index = 0) => publishedEvent(sns, index);

/**
 * A Comprehend that remembers what was created and tagged, so a second delivery sees the first one's
 * effects exactly as it would in AWS.
 */
function statefulComprehend(): void {
  const classifiers = new Map<string, { status: string; tags: Record<string, string> }>();
  comprehend.on(DescribeDocumentClassifierCommand).callsFake(({ DocumentClassifierArn }) => {
    const found = classifiers.get(DocumentClassifierArn);
    if (!found) throw notFound();
    return { DocumentClassifierProperties: { DocumentClassifierArn, Status: found.status } };
  });
  comprehend.on(CreateDocumentClassifierCommand).callsFake(({ DocumentClassifierName, VersionName }) => {
    const arn = `arn:aws:comprehend:us-east-1:111122223333:document-classifier/${DocumentClassifierName}/version/${VersionName}`;
    if (classifiers.has(arn)) throw new ResourceInUseException({ message: "in use", $metadata: {} });
    classifiers.set(arn, { status: "SUBMITTED", tags: {} });
    return { DocumentClassifierArn: arn };
  });
  comprehend.on(ListTagsForResourceCommand).callsFake(({ ResourceArn }) => ({
    ResourceArn,
    Tags: Object.entries(classifiers.get(ResourceArn)?.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
  }));
  comprehend.on(TagResourceCommand).callsFake(({ ResourceArn, Tags }) => {
    const classifier = classifiers.get(ResourceArn);
    if (!classifier) throw notFound();
    for (const tag of Tags) classifier.tags[tag.Key] = tag.Value;
    return {};
  });
}

beforeEach(() => {
  comprehend.reset();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: "4b5a3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d" });
  comprehend.on(ListTagsForResourceCommand).resolves({ Tags: [] });
});

describe("train handler", () => {
  it("creates the classifier with the run's exact training request", async () => {
    // Prepare
    comprehend.on(DescribeDocumentClassifierCommand).rejects(notFound());
    comprehend.on(CreateDocumentClassifierCommand).resolves({ DocumentClassifierArn: ARN });
    comprehend.on(TagResourceCommand).resolves({});

    // Act
    const results = await handler(event(etlCompleted), context);

    // Assess
    expect(results).toEqual([{ outcome: "started", run_id: RUN_ID, classifier_arn: ARN }]);
    expect(comprehend).toHaveReceivedCommandTimes(CreateDocumentClassifierCommand, 1);
    expect(comprehend.commandCalls(CreateDocumentClassifierCommand)[0]?.args[0].input).toEqual({
      DocumentClassifierName: NAME,
      VersionName: RUN_ID,
      ClientRequestToken: `train-${RUN_ID}`,
      Mode: "MULTI_CLASS",
      LanguageCode: "en",
      DataAccessRoleArn: "arn:aws:iam::111122223333:role/itsr-comprehend-data-access",
      InputDataConfig: {
        DataFormat: "COMPREHEND_CSV",
        S3Uri: `s3://itsr-data-111122223333/prepped_data/${RUN_ID}/`,
      },
      OutputDataConfig: {
        S3Uri: `s3://itsr-data-111122223333/output_data/${RUN_ID}/`,
        KmsKeyId: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      },
      VolumeKmsKeyId: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      ModelKmsKeyId: "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      VpcConfig: {
        SecurityGroupIds: ["sg-0a1b2c3d4e5f60003"],
        Subnets: ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
      },
      Tags: [
        { Key: "run_id", Value: RUN_ID },
        { Key: "app", Value: "itsr" },
      ],
    });
  });

  it("looks the run's classifier up by its ARN before creating it", async () => {
    // Prepare
    comprehend.on(DescribeDocumentClassifierCommand).rejects(notFound());
    comprehend.on(CreateDocumentClassifierCommand).resolves({ DocumentClassifierArn: ARN });
    comprehend.on(TagResourceCommand).resolves({});

    // Act
    await handler(event(etlCompleted), context);

    // Assess
    expect(comprehend).toHaveReceivedNthCommandWith(1, DescribeDocumentClassifierCommand, {
      DocumentClassifierArn: ARN,
    });
  });

  it("announces training with the ARN, the counts and the hourly billing, then marks it announced", async () => {
    // Prepare
    comprehend.on(DescribeDocumentClassifierCommand).rejects(notFound());
    comprehend.on(CreateDocumentClassifierCommand).resolves({ DocumentClassifierArn: ARN });
    comprehend.on(TagResourceCommand).resolves({});

    // Act
    await handler(event(etlCompleted), context);

    // Assess
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: "arn:aws:sns:us-east-1:111122223333:itsr-pipeline",
      MessageAttributes: { event_type: { DataType: "String", StringValue: "training_started" } },
    });
    const { email, detail, subject } = published();
    expect(subject).toBe(`Training started: ${NAME}`);
    expect(detail).toEqual({
      event_type: "training_started",
      run_id: RUN_ID,
      classifier_arn: ARN,
      classifier_name: NAME,
      label_count: 4,
      document_count: 1400,
      training_data_uri: `s3://itsr-data-111122223333/prepped_data/${RUN_ID}/`,
      output_data_uri: `s3://itsr-data-111122223333/output_data/${RUN_ID}/`,
      price_per_hour_usd: 3,
    });
    expect(email).toContain(`Classifier ARN: ${ARN}`);
    expect(email).toContain("Documents: 1,400");
    expect(email).toContain("Labels: 4");
    expect(email).toContain("  SOFTWARE: 530");
    expect(email).toContain("Training takes hours");
    expect(email).toContain("Comprehend bills training by the hour, at $3.00 per hour for this deployment");
    expect(comprehend).toHaveReceivedCommandWith(TagResourceCommand, {
      ResourceArn: ARN,
      Tags: [{ Key: "started_notified", Value: "4b5a3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d" }],
    });
  });

  it("starts one training and sends one email when the same message arrives twice", async () => {
    // Prepare
    statefulComprehend();

    // Act
    const first = await handler(event(etlCompleted), context);
    const second = await handler(event(etlCompleted), context);

    // Assess
    expect(first).toEqual([{ outcome: "started", run_id: RUN_ID, classifier_arn: ARN }]);
    expect(second).toEqual([
      { outcome: "already_exists", run_id: RUN_ID, classifier_arn: ARN, status: "SUBMITTED" },
    ]);
    expect(comprehend).toHaveReceivedCommandTimes(CreateDocumentClassifierCommand, 1);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
  });

  it("reports a classifier that a concurrent delivery created instead of creating a second one", async () => {
    // Prepare
    comprehend
      .on(DescribeDocumentClassifierCommand)
      .rejectsOnce(notFound())
      .resolves({ DocumentClassifierProperties: { DocumentClassifierArn: ARN, Status: "TRAINING" } });
    comprehend
      .on(CreateDocumentClassifierCommand)
      .rejects(
        new ResourceInUseException({ message: "Classifier name and version already exist", $metadata: {} }),
      );
    comprehend
      .on(ListTagsForResourceCommand)
      .resolves({ Tags: [{ Key: "started_notified", Value: "4b5a3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d" }] });

    // Act
    const results = await handler(event(etlCompleted), context);

    // Assess
    expect(results).toEqual([
      { outcome: "already_exists", run_id: RUN_ID, classifier_arn: ARN, status: "TRAINING" },
    ]);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  it("sends the start email for an existing classifier when the earlier attempt failed to send it", async () => {
    // Prepare
    comprehend
      .on(DescribeDocumentClassifierCommand)
      .resolves({ DocumentClassifierProperties: { DocumentClassifierArn: ARN, Status: "TRAINING" } });
    comprehend.on(ListTagsForResourceCommand).resolves({ Tags: [{ Key: "app", Value: "itsr" }] });
    comprehend.on(TagResourceCommand).resolves({});

    // Act
    await handler(event(etlCompleted), context);

    // Assess
    expect(comprehend).not.toHaveReceivedCommand(CreateDocumentClassifierCommand);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(comprehend).toHaveReceivedCommandWith(TagResourceCommand, { ResourceArn: ARN });
  });

  it("neither re-creates nor re-announces a classifier of this run that already failed", async () => {
    // Prepare
    comprehend
      .on(DescribeDocumentClassifierCommand)
      .resolves({ DocumentClassifierProperties: { DocumentClassifierArn: ARN, Status: "IN_ERROR" } });

    // Act
    const results = await handler(event(etlCompleted), context);

    // Assess
    expect(results).toEqual([
      { outcome: "already_exists", run_id: RUN_ID, classifier_arn: ARN, status: "IN_ERROR" },
    ]);
    expect(comprehend).not.toHaveReceivedCommand(CreateDocumentClassifierCommand);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  it("ignores pipeline events other than etl_completed", async () => {
    // Act
    const results = await handler(event(etlFailed), context);

    // Assess
    expect(results).toEqual([{ outcome: "ignored", reason: "event_type is etl_failed, not etl_completed" }]);
    expect(comprehend.calls()).toHaveLength(0);
    expect(sns.calls()).toHaveLength(0);
  });

  it("ignores a message that is not JSON", async () => {
    // Prepare
    const notJson = event(etlCompleted);
    const record = notJson.Records[0];
    if (record) record.Sns.Message = "Training data is ready";

    // Act
    const results = await handler(notJson, context);

    // Assess
    expect(results).toEqual([{ outcome: "ignored", reason: "SNS message is not JSON" }]);
    expect(comprehend.calls()).toHaveLength(0);
  });

  it("fails the invocation, so the operator hears of it, for training data in another bucket", async () => {
    // Act
    const invocation = handler(event(etlCompletedOtherBucket), context);

    // Assess
    await expect(invocation).rejects.toThrow(
      `training_data_uri must be s3://itsr-data-111122223333/prepped_data/${RUN_ID}/ for run ${RUN_ID}, got "s3://someone-elses-bucket/prepped_data/${RUN_ID}/"`,
    );
    expect(comprehend.calls()).toHaveLength(0);
    expect(sns.calls()).toHaveLength(0);
  });

  it("trains against the run's fixed test set (TestS3Uri) when the ETL held one out", async () => {
    // Prepare
    const withTestSet = withMessage((detail) => {
      detail.test_data_uri = `s3://itsr-data-111122223333/prepped_data/${RUN_ID}.test.csv`;
    });
    comprehend.on(DescribeDocumentClassifierCommand).rejects(notFound());
    comprehend.on(CreateDocumentClassifierCommand).resolves({ DocumentClassifierArn: ARN });
    comprehend.on(TagResourceCommand).resolves({});

    // Act
    await handler(withTestSet, context);

    // Assess: DocumentClassifierInputDataConfig's TestS3Uri, so the metrics are measured on those documents.
    expect(comprehend).toHaveReceivedCommandWith(CreateDocumentClassifierCommand, {
      InputDataConfig: {
        DataFormat: "COMPREHEND_CSV",
        S3Uri: `s3://itsr-data-111122223333/prepped_data/${RUN_ID}/`,
        TestS3Uri: `s3://itsr-data-111122223333/prepped_data/${RUN_ID}.test.csv`,
      },
    });
  });

  it("refuses a test set that is not the run's own", async () => {
    const foreign = withMessage((detail) => {
      detail.test_data_uri = "s3://someone-elses-bucket/test.csv";
    });

    await expect(handler(foreign, context)).rejects.toThrow(
      `test_data_uri must be s3://itsr-data-111122223333/prepped_data/${RUN_ID}.test.csv for run ${RUN_ID}`,
    );
    expect(comprehend.calls()).toHaveLength(0);
  });

  it("refuses training data under another run's prefix", async () => {
    // Prepare
    const otherRun = withMessage((detail) => {
      detail.training_data_uri = "s3://itsr-data-111122223333/prepped_data/some-other-run/";
    });

    // Act
    const invocation = handler(otherRun, context);

    // Assess
    await expect(invocation).rejects.toThrow("training_data_uri must be");
    expect(comprehend.calls()).toHaveLength(0);
  });

  it("does not announce again when a concurrent duplicate's create returned the same classifier", async () => {
    // Prepare
    comprehend.on(DescribeDocumentClassifierCommand).rejects(notFound());
    comprehend.on(CreateDocumentClassifierCommand).resolves({ DocumentClassifierArn: ARN });
    comprehend
      .on(ListTagsForResourceCommand)
      .resolves({ Tags: [{ Key: "started_notified", Value: "4b5a3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d" }] });

    // Act
    const results = await handler(event(etlCompleted), context);

    // Assess
    expect(results).toMatchObject([{ outcome: "started", classifier_arn: ARN }]);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  it("accepts the run's prefix written without its trailing slash", async () => {
    // Prepare
    const noSlash = withMessage((detail) => {
      detail.training_data_uri = `s3://itsr-data-111122223333/prepped_data/${RUN_ID}`;
    });
    comprehend.on(DescribeDocumentClassifierCommand).rejects(notFound());
    comprehend.on(CreateDocumentClassifierCommand).resolves({ DocumentClassifierArn: ARN });
    comprehend.on(TagResourceCommand).resolves({});

    // Act
    await handler(noSlash, context);

    // Assess
    expect(comprehend).toHaveReceivedCommandWith(CreateDocumentClassifierCommand, {
      InputDataConfig: {
        DataFormat: "COMPREHEND_CSV",
        S3Uri: `s3://itsr-data-111122223333/prepped_data/${RUN_ID}/`,
      },
    });
  });

  it.each([
    ["an upper-case run id", { run_id: "Dataverse-Files" }, "run_id"],
    ["a run id longer than 37 characters", { run_id: "a".repeat(38) }, "run_id"],
    ["a missing document count", { document_count: undefined }, "document_count must be a positive integer"],
    ["a label count of zero", { label_count: 0 }, "label_count must be a positive integer"],
  ])("rejects %s, naming the field", async (_case, change, expected) => {
    // Prepare
    const bad = withMessage((detail) => Object.assign(detail, change));

    // Act
    const invocation = handler(bad, context);

    // Assess
    await expect(invocation).rejects.toThrow(expected);
    expect(comprehend.calls()).toHaveLength(0);
  });

  it("throws when Comprehend keeps throttling, so Lambda retries and then alerts", async () => {
    // Prepare
    comprehend.on(DescribeDocumentClassifierCommand).rejects(notFound());
    comprehend
      .on(CreateDocumentClassifierCommand)
      .rejects(new TooManyRequestsException({ message: "Rate exceeded", $metadata: {} }));

    // Act
    const invocation = handler(event(etlCompleted), context);

    // Assess
    await expect(invocation).rejects.toThrow("Rate exceeded");
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  it("throws when SNS throttles the announcement and leaves the classifier unmarked for the retry", async () => {
    // Prepare
    comprehend.on(DescribeDocumentClassifierCommand).rejects(notFound());
    comprehend.on(CreateDocumentClassifierCommand).resolves({ DocumentClassifierArn: ARN });
    const throttled = Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
    sns.on(PublishCommand).rejects(throttled);

    // Act
    const invocation = handler(event(etlCompleted), context);

    // Assess
    await expect(invocation).rejects.toThrow("Rate exceeded");
    expect(comprehend).not.toHaveReceivedCommand(TagResourceCommand);
  });

  it("throws when the role may not describe classifiers", async () => {
    // Prepare
    const denied = Object.assign(
      new Error("not authorized to perform: comprehend:DescribeDocumentClassifier"),
      {
        name: "AccessDeniedException",
      },
    );
    comprehend.on(DescribeDocumentClassifierCommand).rejects(denied);

    // Act
    const invocation = handler(event(etlCompleted), context);

    // Assess
    await expect(invocation).rejects.toThrow("comprehend:DescribeDocumentClassifier");
    expect(comprehend).not.toHaveReceivedCommand(CreateDocumentClassifierCommand);
  });
});
