import "../../fixtures/notify/env";
import {
  ComprehendClient,
  DescribeDocumentClassifierCommand,
  ListDocumentClassifiersCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  TagResourceCommand,
  TooManyRequestsException,
} from "@aws-sdk/client-comprehend";
import { GetObjectCommand, NoSuchKey, S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { Context, S3Event, ScheduledEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { handler } from "../../../functions/notify/handler";
import {
  ARN,
  classifier,
  failedClassifier,
  NAME,
  otherClassifier,
  RUN_ID,
} from "../../fixtures/notify/classifiers";
import s3OtherObject from "../../fixtures/notify/s3-other-object.json";
import s3OutputCreated from "../../fixtures/notify/s3-output-created.json";
import scheduledEvent from "../../fixtures/notify/scheduled-event.json";
import { publishedEvent } from "../published-events";

const comprehend = mockClient(ComprehendClient);
const sns = mockClient(SNSClient);
// The side-by-side report reads the output archive; model-report.test.ts covers it. Here the archive is gone,
// which leaves the email without the comparison, as any failure of it does.
const s3 = mockClient(S3Client);

const context = {
  functionName: "itsr-notify",
  awsRequestId: "8b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
} as Context;
const outputEvent = () => structuredClone(s3OutputCreated) as S3Event;
const schedule = () => structuredClone(scheduledEvent) as ScheduledEvent;

function notFound(): ResourceNotFoundException {
  return new ResourceNotFoundException({ message: "Resource not found", $metadata: {} });
}

const published = (index = 0) => publishedEvent(sns, index);

/** Tags kept across invocations, so "reported" survives from one run of the function to the next. */
function durableTags(): void {
  const tags = new Map<string, Record<string, string>>();
  comprehend.on(ListTagsForResourceCommand).callsFake(({ ResourceArn }) => ({
    ResourceArn,
    Tags: Object.entries(tags.get(ResourceArn) ?? {}).map(([Key, Value]) => ({ Key, Value })),
  }));
  comprehend.on(TagResourceCommand).callsFake(({ ResourceArn, Tags }) => {
    const current = tags.get(ResourceArn) ?? {};
    for (const tag of Tags) current[tag.Key] = tag.Value;
    tags.set(ResourceArn, current);
    return {};
  });
}

beforeEach(() => {
  comprehend.reset();
  sns.reset();
  s3.reset();
  s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: "gone", $metadata: {} }));
  sns.on(PublishCommand).resolves({ MessageId: "0f9e8d7c-6b5a-4938-8271-605f4e3d2c1b" });
  comprehend.on(ListTagsForResourceCommand).resolves({ Tags: [{ Key: "run_id", Value: RUN_ID }] });
  comprehend.on(TagResourceCommand).resolves({});
});

describe("notify handler: training output written", () => {
  it("finds the run's classifier by its versioned ARN from the output key", async () => {
    // Prepare
    comprehend.on(DescribeDocumentClassifierCommand).resolves({ DocumentClassifierProperties: classifier() });

    // Act
    await handler(outputEvent(), context);

    // Assess
    expect(comprehend).toHaveReceivedCommandWith(DescribeDocumentClassifierCommand, {
      DocumentClassifierArn: ARN,
    });
    expect(comprehend).not.toHaveReceivedCommand(ListDocumentClassifiersCommand);
  });

  it("emails a TRAINED model's metrics, time, cost and the exact deploy step", async () => {
    // Prepare
    comprehend.on(DescribeDocumentClassifierCommand).resolves({ DocumentClassifierProperties: classifier() });

    // Act
    const results = await handler(outputEvent(), context);

    // Assess
    expect(results).toEqual([
      { outcome: "reported", run_id: RUN_ID, classifier_arn: ARN, status: "TRAINED" },
    ]);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: "arn:aws:sns:us-east-1:111122223333:itsr-pipeline",
      MessageAttributes: { event_type: { DataType: "String", StringValue: "training_finished" } },
    });
    const { email, subject } = published();
    expect(subject).toBe(`Training finished: ${NAME} (accuracy 93.4%)`);
    expect(email).toContain(`Classifier ARN: ${ARN}`);
    expect(email).toContain("Status: TRAINED\n");
    expect(email).toContain("Accuracy:        93.4%");
    expect(email).toContain("Macro precision: 91.3%");
    expect(email).toContain("Macro recall:    89.8%");
    expect(email).toContain("Macro F1 score:  90.5%");
    expect(email).toContain("Micro F1 score:  93.4%");
    expect(email).toContain("Labels: 4");
    expect(email).toContain("Documents: 1,260 used for training, 140 for testing");
    expect(email).toContain(
      "Training time: 2 h 30 min (2025-03-04T09:15:00.000Z to 2025-03-04T11:45:00.000Z)",
    );
    expect(email).toContain("Training cost: about $7.50 at $3.00 per hour");
    expect(email).toContain(
      "The endpoint costs $1.80 per inference unit per hour (about $1296.00 a month for one unit, us-east-1 list price)",
    );
    expect(email).toContain(
      `From the project directory, run:\n   npm run deploy -- inference --classifier-arn ${ARN}`,
    );
    expect(email).toContain(`put this line in terraform.tfvars: document_classifier_arn = "${ARN}"`);
    expect(email).toContain(
      `Comprehend's training output (confusion matrix, metrics): s3://itsr-data-111122223333/output_data/${RUN_ID}/`,
    );
    expect(email.indexOf("$1.80 per inference unit")).toBeLessThan(
      email.indexOf("npm run deploy -- inference"),
    );
  });

  it("carries the same facts in snake_case for subscribers that parse JSON", async () => {
    // Prepare
    comprehend.on(DescribeDocumentClassifierCommand).resolves({ DocumentClassifierProperties: classifier() });

    // Act
    await handler(outputEvent(), context);

    // Assess
    expect(published().detail).toEqual({
      event_type: "training_finished",
      run_id: RUN_ID,
      classifier_arn: ARN,
      classifier_name: NAME,
      status: "TRAINED",
      message: null,
      accuracy: 0.9342,
      macro_precision: 0.9127,
      macro_recall: 0.8975,
      macro_f1_score: 0.9048,
      micro_f1_score: 0.9342,
      number_of_labels: 4,
      number_of_trained_documents: 1260,
      number_of_test_documents: 140,
      training_started_at: "2025-03-04T09:15:00.000Z",
      training_ended_at: "2025-03-04T11:45:00.000Z",
      training_seconds: 9000,
      training_cost_usd: 7.5,
      price_per_hour_usd: 3,
      endpoint_price_per_inference_unit_hour_usd: 1.8,
      output_data_uri: classifier().OutputDataConfig?.S3Uri,
      tfvars_line: `document_classifier_arn = "${ARN}"`,
      deploy_command: `npm run deploy -- inference --classifier-arn ${ARN}`,
    });
  });

  it("marks the classifier reported after publishing", async () => {
    // Prepare
    comprehend.on(DescribeDocumentClassifierCommand).resolves({ DocumentClassifierProperties: classifier() });

    // Act
    await handler(outputEvent(), context);

    // Assess
    expect(comprehend).toHaveReceivedCommandWith(TagResourceCommand, {
      ResourceArn: ARN,
      Tags: [{ Key: "notified", Value: "TRAINED" }],
    });
  });

  it("passes on Comprehend's warning for TRAINED_WITH_WARNING", async () => {
    // Prepare
    const warned = classifier({
      Status: "TRAINED_WITH_WARNING",
      Message: "Label NETWORK has fewer than 50 documents; its recall may be low.",
    });
    comprehend.on(DescribeDocumentClassifierCommand).resolves({ DocumentClassifierProperties: warned });

    // Act
    await handler(outputEvent(), context);

    // Assess
    const { email, detail } = published();
    expect(email).toContain(`The document classifier for run ${RUN_ID} finished training with a warning.`);
    expect(email).toContain("Status: TRAINED_WITH_WARNING");
    expect(email).toContain(
      "Comprehend's message: Label NETWORK has fewer than 50 documents; its recall may be low.",
    );
    expect(email).toContain(`document_classifier_arn = "${ARN}"`);
    expect(detail).toMatchObject({ event_type: "training_finished", status: "TRAINED_WITH_WARNING" });
    expect(comprehend).toHaveReceivedCommandWith(TagResourceCommand, {
      Tags: [{ Key: "notified", Value: "TRAINED_WITH_WARNING" }],
    });
  });

  it("falls back to searching the classifier by name and reports the newest version", async () => {
    // Prepare
    const handMade = `arn:aws:comprehend:us-east-1:111122223333:document-classifier/${NAME}/version/v2`;
    comprehend.on(DescribeDocumentClassifierCommand).rejects(notFound());
    comprehend.on(ListDocumentClassifiersCommand).resolves({
      DocumentClassifierPropertiesList: [
        classifier({
          DocumentClassifierArn: `${handMade}-old`,
          SubmitTime: new Date("2025-03-01T00:00:00Z"),
        }),
        classifier({ DocumentClassifierArn: handMade }),
      ],
    });

    // Act
    const results = await handler(outputEvent(), context);

    // Assess
    expect(comprehend).toHaveReceivedCommandWith(ListDocumentClassifiersCommand, {
      Filter: { DocumentClassifierName: NAME },
    });
    expect(results).toEqual([
      { outcome: "reported", run_id: RUN_ID, classifier_arn: handMade, status: "TRAINED" },
    ]);
  });

  it("finds a retraining's model as a version of the served classifier, named by its run", async () => {
    // Prepare: run `retrain-...` was trained as a version of the served classifier NAME.
    const retrainRun = "retrain-20261204-220000-0123456789ab";
    const versionArn = `arn:aws:comprehend:us-east-1:111122223333:document-classifier/${NAME}/version/${retrainRun}`;
    const event = outputEvent();
    const record = event.Records[0];
    if (!record) throw new Error("fixture has no record");
    record.s3.object.key = `output_data/${retrainRun}/111122223333-CLR-0a1b2c3d4e5f60718293a4b5c6d7e8f9/output/output.tar.gz`;
    comprehend.on(DescribeDocumentClassifierCommand).rejects(notFound());
    // No classifier is named after the retraining's run; listing them all finds its version.
    comprehend.on(ListDocumentClassifiersCommand).callsFake((input) => ({
      DocumentClassifierPropertiesList: input.Filter
        ? []
        : [classifier(), classifier({ DocumentClassifierArn: versionArn, VersionName: retrainRun })],
    }));

    // Act
    const results = await handler(event, context);

    // Assess
    expect(results).toEqual([
      { outcome: "reported", run_id: retrainRun, classifier_arn: versionArn, status: "TRAINED" },
    ]);
    expect(published().subject).toContain(NAME);
    expect(published().email).toContain(`This is a new version of ${NAME}, trained on the corrections`);
    expect(published().email).toContain(`npm run deploy -- inference --classifier-arn ${versionArn}`);
  });

  it("logs and returns when no classifier exists for the output", async () => {
    // Prepare
    comprehend.on(DescribeDocumentClassifierCommand).rejects(notFound());
    comprehend.on(ListDocumentClassifiersCommand).resolves({ DocumentClassifierPropertiesList: [] });

    // Act
    const results = await handler(outputEvent(), context);

    // Assess
    expect(results).toEqual([{ outcome: "not_found", run_id: RUN_ID, classifier_name: NAME }]);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  it("leaves a classifier still marked TRAINING to the scheduled check", async () => {
    // Prepare
    comprehend
      .on(DescribeDocumentClassifierCommand)
      .resolves({ DocumentClassifierProperties: classifier({ Status: "TRAINING" }) });

    // Act
    const results = await handler(outputEvent(), context);

    // Assess
    expect(results).toEqual([
      { outcome: "in_progress", run_id: RUN_ID, classifier_arn: ARN, status: "TRAINING" },
    ]);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  it("does not email twice when the output event is delivered again", async () => {
    // Prepare
    comprehend.on(DescribeDocumentClassifierCommand).resolves({ DocumentClassifierProperties: classifier() });
    durableTags();

    // Act
    await handler(outputEvent(), context);
    const again = await handler(outputEvent(), context);

    // Assess
    expect(again).toEqual([
      { outcome: "already_reported", run_id: RUN_ID, classifier_arn: ARN, status: "TRAINED" },
    ]);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
  });

  it("decodes URL-encoded keys before matching them", async () => {
    // Prepare
    const encoded = outputEvent();
    const record = encoded.Records[0];
    if (record) record.s3.object.key = record.s3.object.key.replace("output.tar.gz", "output%2Etar%2Egz");
    comprehend.on(DescribeDocumentClassifierCommand).resolves({ DocumentClassifierProperties: classifier() });

    // Act
    const [result] = await handler(encoded, context);

    // Assess
    expect(result).toMatchObject({ outcome: "reported" });
  });

  it("ignores objects that are not a classifier's output.tar.gz", async () => {
    // Act
    const results = await handler(structuredClone(s3OtherObject) as S3Event, context);

    // Assess
    expect(results).toEqual([
      {
        outcome: "ignored",
        reason: `s3://itsr-data-111122223333/output_data/${RUN_ID}/notes.txt is not a classifier output (output_data/<run-id>/<account>-CLR-<id>/output/output.tar.gz)`,
      },
    ]);
    expect(comprehend.calls()).toHaveLength(0);
  });

  it("throws when Comprehend keeps throttling, so Lambda retries and then alerts", async () => {
    // Prepare
    comprehend
      .on(DescribeDocumentClassifierCommand)
      .rejects(new TooManyRequestsException({ message: "Rate exceeded", $metadata: {} }));

    // Act
    const invocation = handler(outputEvent(), context);

    // Assess
    await expect(invocation).rejects.toThrow("Rate exceeded");
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  it("throws when SNS throttles and leaves the classifier unmarked, so the retry emails", async () => {
    // Prepare
    comprehend.on(DescribeDocumentClassifierCommand).resolves({ DocumentClassifierProperties: classifier() });
    sns
      .on(PublishCommand)
      .rejects(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }));

    // Act
    const invocation = handler(outputEvent(), context);

    // Assess
    await expect(invocation).rejects.toThrow("Rate exceeded");
    expect(comprehend).not.toHaveReceivedCommand(TagResourceCommand);
  });
});

describe("notify handler: scheduled check", () => {
  it("reports a failed training of this app with Comprehend's message and what to do", async () => {
    // Prepare
    const failed = failedClassifier("IN_ERROR", "Not enough documents for label HARDWARE: 8 (minimum 10).");
    comprehend.on(ListDocumentClassifiersCommand).resolves({
      DocumentClassifierPropertiesList: [
        otherClassifier("another-app-run-1", "IN_ERROR"),
        otherClassifier("itsr-older-run", "TRAINING"),
        failed,
      ],
    });

    // Act
    const results = await handler(schedule(), context);

    // Assess
    expect(results).toEqual([
      { outcome: "reported", run_id: RUN_ID, classifier_arn: ARN, status: "IN_ERROR" },
    ]);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    const { email, detail, subject } = published();
    expect(subject).toBe(`Training failed: ${NAME} (IN_ERROR)`);
    expect(email).toContain(
      `The document classifier for run ${RUN_ID} did not finish training: Comprehend reports IN_ERROR.`,
    );
    expect(email).toContain("Comprehend's message: Not enough documents for label HARDWARE: 8 (minimum 10).");
    expect(email).toContain(`Run id: ${RUN_ID}`);
    expect(email).toContain(`s3://itsr-data-111122223333/reports/${RUN_ID}/report.json`);
    expect(email).toContain("upload the export again to retry");
    expect(email).toContain(`aws comprehend delete-document-classifier --document-classifier-arn ${ARN}`);
    expect(detail).toEqual({
      event_type: "training_failed",
      run_id: RUN_ID,
      classifier_arn: ARN,
      classifier_name: NAME,
      status: "IN_ERROR",
      message: "Not enough documents for label HARDWARE: 8 (minimum 10).",
      report_uri: `s3://itsr-data-111122223333/reports/${RUN_ID}/report.json`,
      price_per_hour_usd: 3,
    });
    expect(comprehend).toHaveReceivedCommandWith(TagResourceCommand, {
      ResourceArn: ARN,
      Tags: [{ Key: "notified", Value: "IN_ERROR" }],
    });
  });

  it("reports a STOPPED training as failed, with its training time and cost so far", async () => {
    // Prepare
    const stopped = classifier({
      Status: "STOPPED",
      Message: "Training stopped by StopTrainingDocumentClassifier",
      TrainingEndTime: new Date("2025-03-04T10:15:00Z"),
      ClassifierMetadata: undefined,
    });
    comprehend.on(ListDocumentClassifiersCommand).resolves({ DocumentClassifierPropertiesList: [stopped] });

    // Act
    await handler(schedule(), context);

    // Assess
    const { email, detail } = published();
    expect(email).toContain("Comprehend reports STOPPED.");
    expect(email).toContain("Training time: 1 h (2025-03-04T09:15:00.000Z to 2025-03-04T10:15:00.000Z)");
    expect(email).toContain("Training cost: about $3.00 at $3.00 per hour");
    expect(email).toContain("If someone stopped this training on purpose, there is nothing to do.");
    expect(detail).toMatchObject({ event_type: "training_failed", status: "STOPPED", training_cost_usd: 3 });
  });

  it("reports once, then not again on the next hour", async () => {
    // Prepare
    comprehend.on(ListDocumentClassifiersCommand).resolves({
      DocumentClassifierPropertiesList: [failedClassifier("IN_ERROR", "Internal error")],
    });
    durableTags();

    // Act
    const first = await handler(schedule(), context);
    const second = await handler(schedule(), context);

    // Assess
    expect(first).toMatchObject([{ outcome: "reported", status: "IN_ERROR" }]);
    expect(second).toMatchObject([{ outcome: "already_reported", status: "IN_ERROR" }]);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
  });

  it("catches a finished training whose output event was missed, across pages", async () => {
    // Prepare
    comprehend
      .on(ListDocumentClassifiersCommand)
      .resolvesOnce({
        DocumentClassifierPropertiesList: [otherClassifier("itsr-older-run", "TRAINING")],
        NextToken: "page-2",
      })
      .resolvesOnce({ DocumentClassifierPropertiesList: [classifier()] });

    // Act
    const results = await handler(schedule(), context);

    // Assess
    expect(comprehend).toHaveReceivedCommandWith(ListDocumentClassifiersCommand, { NextToken: "page-2" });
    expect(results).toEqual([
      { outcome: "reported", run_id: RUN_ID, classifier_arn: ARN, status: "TRAINED" },
    ]);
    expect(published().detail).toMatchObject({ event_type: "training_finished" });
  });

  it("skips a classifier the output event already reported", async () => {
    // Prepare
    comprehend
      .on(ListDocumentClassifiersCommand)
      .resolves({ DocumentClassifierPropertiesList: [classifier()] });
    comprehend.on(ListTagsForResourceCommand).resolves({ Tags: [{ Key: "notified", Value: "TRAINED" }] });

    // Act
    await handler(schedule(), context);

    // Assess
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  it("leaves a classifier of another app whose prefix extends this one's to that app", async () => {
    // Prepare
    comprehend
      .on(ListDocumentClassifiersCommand)
      .resolves({ DocumentClassifierPropertiesList: [failedClassifier("IN_ERROR", "Internal error")] });
    comprehend.on(ListTagsForResourceCommand).resolves({ Tags: [{ Key: "app", Value: "itsr-dev" }] });

    // Act
    const results = await handler(schedule(), context);

    // Assess
    expect(results).toEqual([{ outcome: "ignored", reason: "classifier belongs to app itsr-dev" }]);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
    expect(comprehend).not.toHaveReceivedCommand(TagResourceCommand);
  });

  it("throws when listing is throttled", async () => {
    // Prepare
    comprehend
      .on(ListDocumentClassifiersCommand)
      .rejects(new TooManyRequestsException({ message: "Rate exceeded", $metadata: {} }));

    // Act
    const invocation = handler(schedule(), context);

    // Assess
    await expect(invocation).rejects.toThrow("Rate exceeded");
  });
});

describe("notify handler: other events", () => {
  it("ignores events it does not know", async () => {
    // Act
    const results = await handler({ hello: "world" } as unknown as ScheduledEvent, context);

    // Assess
    expect(results).toEqual([{ outcome: "ignored", reason: "unsupported event" }]);
    expect(comprehend.calls()).toHaveLength(0);
  });
});
