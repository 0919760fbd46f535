import "../../fixtures/batch/env";
import {
  ComprehendClient,
  DescribeDocumentClassifierCommand,
  ResourceNotFoundException,
  StartDocumentClassificationJobCommand,
  type StartDocumentClassificationJobCommandInput,
} from "@aws-sdk/client-comprehend";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { Context, S3Event, SNSEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { scoringBatchId } from "../../../contract/scoring";
import { handler } from "../../../functions/batch/handler";
import { batchEnv } from "../../fixtures/batch/env";
import { jobOutput, prediction } from "../../fixtures/batch/job-output";
import { memoryBucket } from "../../fixtures/s3/bucket";
import { snsDelivery } from "../../fixtures/sns/delivery";
import { publishedEvents } from "../published-events";

const bucket = memoryBucket();
const comprehend = mockClient(ComprehendClient);
const sns = mockClient(SNSClient);
const BUCKET = batchEnv.DATA_BUCKET;
const SERVED_RUN = "tickets-0a1b2c3d4e5f";
const RUN = "retrain-20261204-220000-0123456789ab";
const SERVED = `arn:aws:comprehend:us-east-1:111122223333:document-classifier/itsr--${SERVED_RUN}/version/${SERVED_RUN}`;
const NEW = `arn:aws:comprehend:us-east-1:111122223333:document-classifier/itsr--${SERVED_RUN}/version/${RUN}`;
const context = { functionName: "itsr-batch", awsRequestId: "req-1" } as Context;

function trainingFinished(detail: Record<string, unknown>): SNSEvent {
  return snsDelivery({ event_type: "training_finished", ...detail });
}

function outputCreated(key: string): S3Event {
  return {
    Records: [
      { eventName: "ObjectCreated:Put", s3: { bucket: { name: BUCKET }, object: { key, size: 10 } } },
    ],
  } as unknown as S3Event;
}

/** The run's test file: 40 Network, 40 Desk and 20 Access tickets, as the ETL writes it (label,text). */
function testFile(): string {
  const rows: string[] = [];
  for (const [label, n] of [
    ["Network", 40],
    ["Desk", 40],
    ["Access", 20],
  ] as const) {
    for (let i = 0; i < n; i++) rows.push(`${label},"${label} ticket ${i}, please help"`);
  }
  return `${rows.join("\n")}\n`;
}

/** A model's answers to the job's documents: right where `right` says so, with the score given. */
async function answer(
  role: "new" | "served",
  right: (label: string, i: number) => boolean,
  score: (i: number) => number,
) {
  const batchId = scoringBatchId(RUN, role);
  const lines = (bucket.text(`batch_output/${batchId}/input/documents.txt`) ?? "")
    .split("\n")
    .filter(Boolean);
  const output = lines.map((text, i) => {
    const label = text.split(" ")[0] as string;
    return prediction(i, right(label, i) ? label : label === "Network" ? "Desk" : "Network", score(i));
  });
  const key = `batch_output/${batchId}/output/111122223333-CLN-0a1b2c3d4e5f60718293a4b5c6d7e8f9/output/output.tar.gz`;
  bucket.objects.set(key, await jobOutput(output));
  return key;
}

/** The notify function's news that the run's model is trained; `served`: the run retrained that model. */
async function finished(served?: string, status = "TRAINED", report: Record<string, unknown> = {}) {
  const retraining = served ? { retraining: { served_classifier_arn: served, ...report } } : {};
  bucket.put(`reports/${RUN}/report.json`, JSON.stringify({ run_id: RUN, ...retraining }));
  return handler(trainingFinished({ run_id: RUN, classifier_arn: NEW, status }), context);
}

/** A model's answers land as its job's output, and their S3 event reaches the function. */
async function landed(
  role: "new" | "served",
  right: (label: string, i: number) => boolean,
  score: (i: number) => number,
) {
  return handler(outputCreated(await answer(role, right, score)), context);
}

beforeEach(() => {
  bucket.reset();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: "m1" });
  comprehend.reset();
  comprehend
    .on(StartDocumentClassificationJobCommand)
    .callsFake((input: StartDocumentClassificationJobCommandInput) => ({
      JobId: `job-${input.JobName}`,
      JobArn: `arn:aws:comprehend:us-east-1:111122223333:document-classification-job/job-${input.JobName}`,
    }));
  // The served classifier is still there and trained: DescribeDocumentClassifier's DocumentClassifierProperties
  // ("DescribeDocumentClassifier", Response Syntax, Amazon Comprehend API Reference), the fields read here.
  comprehend
    .on(DescribeDocumentClassifierCommand)
    .resolves({ DocumentClassifierProperties: { DocumentClassifierArn: SERVED, Status: "TRAINED" } });
  bucket.put(`prepped_data/${RUN}.test.csv`, testFile());
});

describe("scoring a trained model on its test documents", () => {
  it("scores a new version and the served one on the same documents, prices it first, and names the promotion command", async () => {
    // Act 1: training finished; the run retrained the served model and moved 7 of its documents to the test set.
    await finished(SERVED, "TRAINED", { moved_from_training: 7 });

    // Assess 1: the price email before any job; both jobs on the same documents, in the VPC with the key.
    const [priced] = publishedEvents(sns);
    expect(priced?.input.MessageAttributes?.event_type?.StringValue).toBe("scoring_started");
    expect(priced?.email).toContain("scored on 100 of its 100 test documents");
    expect(priced?.detail).toMatchObject({ sample_documents: 100, served_classifier_arn: SERVED });
    // 100 documents of under 300 characters: billed as 300 each, 3 units of $0.0005 per model.
    expect(priced?.detail.cost_usd).toBeCloseTo(2 * 100 * 3 * 0.0005);
    const jobs = comprehend.commandCalls(StartDocumentClassificationJobCommand).map((c) => c.args[0].input);
    expect(jobs.map((j) => j.DocumentClassifierArn)).toEqual([NEW, SERVED]);
    expect(jobs[0]).toMatchObject({
      VolumeKmsKeyId: batchEnv.KMS_KEY_ARN,
      VpcConfig: { Subnets: ["subnet-1", "subnet-2"] },
    });
    const documents = (role: "new" | "served") =>
      bucket.text(`batch_output/${scoringBatchId(RUN, role)}/input/documents.txt`);
    expect(documents("new")).toBe(documents("served"));

    // Act 2: the new model is right on everything, the served one misses every Access ticket; both outputs land.
    sns.resetHistory();
    const newOutput = await answer(
      "new",
      () => true,
      (i) => 0.6 + (i % 40) / 100,
    );
    const servedOutput = await answer(
      "served",
      (label) => label !== "Access",
      () => 0.9,
    );
    const first = await handler(outputCreated(newOutput), context);
    const noEmailYet = publishedEvents(sns).length;
    await handler(outputCreated(servedOutput), context);

    // Assess 2
    expect(first).toEqual([{ batch_id: scoringBatchId(RUN, "new"), status: "finished" }]);
    expect(noEmailYet).toBe(0);
    const [compared] = publishedEvents(sns);
    expect(compared?.input.MessageAttributes?.event_type?.StringValue).toBe("model_compared");
    expect(compared?.subject).toMatch(/^New version is better: macro-F1 100\.0% vs /);
    expect(compared?.email).toContain("Improved (F1 up 2 points or more): Access");
    expect(compared?.email).toContain(
      "Up to 7 of the test documents were moved in from the served model's training data",
    );
    expect(compared?.email).toContain(`   npm run deploy -- inference --classifier-arn ${NEW}`);
    const routing = JSON.parse(bucket.text(`reports/${RUN}/routing.json`) ?? "{}");
    expect(routing).toMatchObject({
      classifier_arn: NEW,
      target_precision: 0.9,
      sample_documents: 100,
      coverage: 1,
    });
    expect(routing.labels.Access).toEqual({ threshold: 0.6, coverage: 1, answers: 20 });
    expect(bucket.text(`reports/${RUN}/comparison.html`)).toContain(
      '<code id="promote">npm run deploy -- inference',
    );

    // Act 3: the served model's output event is delivered again.
    sns.resetHistory();
    await handler(outputCreated(servedOutput), context);

    // Assess 3: one comparison email per run.
    expect(publishedEvents(sns)).toEqual([]);
  });

  it("sends the comparison on Lambda's retry when SNS failed the first time", async () => {
    await finished(SERVED);
    await landed(
      "new",
      () => true,
      () => 0.9,
    );
    const servedOutput = await answer(
      "served",
      () => true,
      () => 0.9,
    );
    sns.reset();
    sns
      .on(PublishCommand)
      .rejectsOnce(Object.assign(new Error("Rate exceeded"), { name: "ThrottledException" }))
      .resolves({ MessageId: "m2" });

    await expect(handler(outputCreated(servedOutput), context)).rejects.toThrow("Rate exceeded");
    await handler(outputCreated(servedOutput), context);

    expect(publishedEvents(sns).map((e) => e.input.MessageAttributes?.event_type?.StringValue)).toEqual([
      "model_compared",
      "model_compared",
    ]);
    expect(bucket.objects.has(`reports/${RUN}/scoring-emailed.json`)).toBe(true);
  });

  it("scores the new version alone, saying why, when the served one it was built on is gone", async () => {
    comprehend
      .on(DescribeDocumentClassifierCommand)
      .rejects(new ResourceNotFoundException({ message: "not found", $metadata: {} }));

    await finished(SERVED);
    const [priced] = publishedEvents(sns);
    sns.resetHistory();
    await landed(
      "new",
      () => true,
      () => 0.9,
    );

    expect(comprehend.commandCalls(StartDocumentClassificationJobCommand)).toHaveLength(1);
    expect(priced?.email).toContain(`The served model ${SERVED} it was built on cannot be scored any more`);
    expect(publishedEvents(sns).map((e) => e.input.MessageAttributes?.event_type?.StringValue)).toEqual([
      "model_scored",
    ]);
  });

  it("says a worse version is not better and leaves the served one serving", async () => {
    await finished(SERVED);
    sns.resetHistory();

    await landed(
      "new",
      (label) => label !== "Desk",
      () => 0.8,
    );
    await landed(
      "served",
      () => true,
      () => 0.8,
    );

    const [compared] = publishedEvents(sns);
    expect(compared?.subject).toMatch(/^New version is not better/);
    expect(compared?.email).toContain("and Desk, Network got worse");
    expect(compared?.email).toContain("Nothing to do: the served version keeps serving.");
    expect(compared?.email).not.toContain("npm run deploy");
  });

  it("gives a first model its thresholds and coverage per label, and scores nothing for a failed training", async () => {
    await finished(undefined, "IN_ERROR");
    expect(comprehend.commandCalls(StartDocumentClassificationJobCommand)).toHaveLength(0);

    await finished();
    sns.resetHistory();
    // Access answers below 0.7 are wrong half the time: its threshold is where they are 90% right.
    await landed(
      "new",
      (label, i) => label !== "Access" || i % 2 === 0 || i % 40 >= 10,
      (i) => 0.6 + (i % 40) / 100,
    );

    expect(comprehend.commandCalls(StartDocumentClassificationJobCommand)).toHaveLength(1);
    const [scored] = publishedEvents(sns);
    expect(scored?.input.MessageAttributes?.event_type?.StringValue).toBe("model_scored");
    expect(scored?.email).toMatch(
      /At 90\.0% precision, \d+\.\d% of the 100 scored tickets would route themselves/,
    );
    expect(scored?.email).toContain("  Desk: from score");
  });
});
