import {
  ComprehendClient,
  DescribeDocumentClassificationJobCommand,
  DescribeDocumentClassifierCommand,
  type DocumentClassificationJobProperties,
  type DocumentClassifierProperties,
  ListDocumentClassificationJobsCommand,
  ListDocumentClassifiersCommand,
  StartDocumentClassificationJobCommand,
} from "@aws-sdk/client-comprehend";
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { batchOfJob, checkBatchJobs } from "../../../functions/batch/check";
import { finishBatch } from "../../../functions/batch/finish";
import { type BatchDeps, jobDocuments, startBatch } from "../../../functions/batch/start";
import { batchCostUsd } from "../../../functions/pipeline-shared/pricing";
import { createLogger } from "../../../functions/shared/logger";
import { jobOutput, prediction } from "../../fixtures/batch/job-output";
import { publishedEvent, publishedEvents } from "../published-events";

const s3 = mockClient(S3Client);
const sns = mockClient(SNSClient);
const comprehend = mockClient(ComprehendClient);
const ARN = (run: string) =>
  `arn:aws:comprehend:us-east-1:111122223333:document-classifier/itsr--${run}/version/${run}`;
const KEY = "arn:aws:kms:us-east-1:111122223333:key/0a1b2c3d";
const ROLE = "arn:aws:iam::111122223333:role/itsr-comprehend-batch-access";
const source = { bucket: "data", key: "batch_input/backlog.csv", versionId: "v1" };

const text = (value: string) =>
  ({
    transformToString: async () => value,
    transformToByteArray: async () => Buffer.from(value),
  }) as unknown as GetObjectCommandOutput["Body"];
const bytes = (value: Uint8Array) =>
  ({
    transformToByteArray: async () => value,
    transformToString: async () => Buffer.from(value).toString("utf8"),
  }) as unknown as GetObjectCommandOutput["Body"];
const notFound = () => Object.assign(new Error("Not Found"), { name: "NotFound" });

function deps(overrides: Partial<BatchDeps["config"]> = {}): BatchDeps {
  return {
    s3: new S3Client({}),
    sns: new SNSClient({}),
    comprehend: new ComprehendClient({}),
    logger: createLogger("batch-test"),
    config: {
      topicArn: "arn:aws:sns:us-east-1:111122223333:itsr",
      namePrefix: "itsr",
      outputPrefix: "batch_output/",
      dataAccessRoleArn: ROLE,
      kmsKeyArn: KEY,
      subnetIds: ["subnet-1", "subnet-2"],
      securityGroupIds: ["sg-jobs"],
      idColumn: "number",
      textColumns: ["short_description", "description"],
      ...overrides,
    },
  };
}

beforeEach(() => {
  s3.reset();
  sns.reset();
  comprehend.reset();
  s3.on(HeadObjectCommand).rejects(notFound());
  s3.on(PutObjectCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: "m" });
  comprehend.on(StartDocumentClassificationJobCommand).resolves({ JobId: "job-1", JobArn: "arn:job-1" });
  comprehend
    .on(ListDocumentClassificationJobsCommand)
    .resolves({ DocumentClassificationJobPropertiesList: [] });
  comprehend.on(DescribeDocumentClassifierCommand).resolves({
    DocumentClassifierProperties: { DocumentClassifierArn: ARN("old-run"), Status: "TRAINED" },
  });
  comprehend.on(ListDocumentClassifiersCommand).resolves({
    DocumentClassifierPropertiesList: [
      { DocumentClassifierArn: ARN("old-run"), Status: "TRAINED", TrainingEndTime: new Date("2026-01-01") },
      { DocumentClassifierArn: ARN("new-run"), Status: "TRAINED", TrainingEndTime: new Date("2026-06-01") },
      { DocumentClassifierArn: ARN("training-run"), Status: "TRAINING" },
      {
        DocumentClassifierArn: "arn:aws:comprehend:us-east-1:111122223333:document-classifier/other-app-x",
        Status: "TRAINED",
        TrainingEndTime: new Date("2026-09-01"),
      },
    ],
  });
});

describe("starting a backlog job", () => {
  it("writes one document per line with the id mapping and starts the job in the VPC with KMS and the newest classifier", async () => {
    s3.on(GetObjectCommand).resolves({
      Body: text('number,short_description,description\nINC1,VPN drops,"since  Monday"\nINC2,Printer jam,\n'),
      ContentLength: 80,
    });

    const outcome = await startBatch(source, deps());

    expect(outcome).toMatchObject({ status: "started", job_id: "job-1", tickets: 2 });
    const batchId = (outcome as { batch_id: string }).batch_id;
    const input = comprehend.commandCalls(StartDocumentClassificationJobCommand)[0]?.args[0].input;
    expect(input).toEqual({
      JobName: `itsr-${batchId}`,
      DocumentClassifierArn: ARN("new-run"),
      InputDataConfig: {
        S3Uri: `s3://data/batch_output/${batchId}/input/documents.txt`,
        InputFormat: "ONE_DOC_PER_LINE",
      },
      OutputDataConfig: { S3Uri: `s3://data/batch_output/${batchId}/output/`, KmsKeyId: KEY },
      DataAccessRoleArn: ROLE,
      VolumeKmsKeyId: KEY,
      VpcConfig: { SecurityGroupIds: ["sg-jobs"], Subnets: ["subnet-1", "subnet-2"] },
      ClientRequestToken: `batch-${batchId}`,
      Tags: [
        { Key: "app", Value: "itsr" },
        { Key: "batch_id", Value: batchId },
      ],
    });
    const puts = Object.fromEntries(
      s3.commandCalls(PutObjectCommand).map((c) => [c.args[0].input.Key, c.args[0].input.Body]),
    );
    // "Each line of the file must end with a line feed" (File formats for async analysis), the last one too.
    expect(puts[`batch_output/${batchId}/input/documents.txt`]).toBe("VPN drops since Monday\nPrinter jam\n");
    expect(JSON.parse(puts[`batch_output/${batchId}/input/ids.json`] as string)).toEqual({
      tickets: ["INC1", "INC2"],
      documents: ["INC1", "INC2"],
    });
    expect(JSON.parse(puts[`batch_output/${batchId}/job.json`] as string)).toMatchObject({
      job_id: "job-1",
      tickets: 2,
    });
    expect(publishedEvents(sns)[0]?.detail.event_type).toBe("batch_started");
  });

  it("uses the classifier named in the object's metadata", async () => {
    s3.on(GetObjectCommand).resolves({
      Body: text("number,short_description,description\nINC1,a,b\n"),
      Metadata: { "classifier-arn": ARN("old-run") },
    });

    await startBatch(source, deps());

    expect(
      comprehend.commandCalls(StartDocumentClassificationJobCommand)[0]?.args[0].input.DocumentClassifierArn,
    ).toBe(ARN("old-run"));
    expect(comprehend.commandCalls(ListDocumentClassifiersCommand)).toHaveLength(0);
  });

  it("starts no second job for a duplicate delivery", async () => {
    s3.on(HeadObjectCommand).resolves({});

    expect(await startBatch(source, deps())).toMatchObject({ status: "duplicate" });
    expect(comprehend.commandCalls(StartDocumentClassificationJobCommand)).toHaveLength(0);
  });

  it("emails a malformed upload's fault by record or column, leaves it untouched, and starts nothing", async () => {
    s3.on(GetObjectCommand).resolves({
      Body: text("number,short_description,description\nINC1,a,b\n,c,d\n"),
    });

    const outcome = await startBatch(source, deps());

    const reason = "record 3 has no number: every ticket needs an id";
    expect(outcome).toMatchObject({ status: "rejected", reason });
    expect(publishedEvents(sns)[0]?.email).toContain(`  ${reason}`);
    expect(publishedEvents(sns)[0]?.email).toContain("The upload was left untouched");
    expect(comprehend.commandCalls(StartDocumentClassificationJobCommand)).toHaveLength(0);

    s3.on(GetObjectCommand).resolves({ Body: text("ticket,short_description,description\nINC1,a,b\n") });
    const wrongColumn = await startBatch({ ...source, versionId: "v2" }, deps());
    expect((wrongColumn as { reason: string }).reason).toContain(
      'no id column "number"; its columns are: "ticket"',
    );
    expect((wrongColumn as { reason: string }).reason).toContain("the batch_id_column variable");
  });

  it("refuses an export too large for one job, naming the limit", async () => {
    s3.on(GetObjectCommand).resolves({ Body: text(""), ContentLength: 300 * 1024 * 1024 });

    const outcome = await startBatch(source, deps());

    expect((outcome as { reason: string }).reason).toContain("over the 209715200 bytes one batch takes here");
  });

  it("cuts each document to what Comprehend reads, at a character boundary", () => {
    const [line] = jobDocuments([{ id: "1", text: "é".repeat(6000) }]).lines;
    expect(Buffer.byteLength(line as string)).toBe(10000);
  });

  it("sends no line for an empty ticket, counts it, and classifies the first row of a repeated id", async () => {
    s3.on(GetObjectCommand).resolves({
      Body: text("number,short_description,description\nINC1,VPN,\nINC2,,\nINC1,VPN again,\nINC3,Printer,\n"),
    });

    const outcome = await startBatch(source, deps());

    expect(outcome).toMatchObject({ status: "started", tickets: 3 });
    const batchId = (outcome as { batch_id: string }).batch_id;
    const puts = Object.fromEntries(
      s3.commandCalls(PutObjectCommand).map((c) => [c.args[0].input.Key, c.args[0].input.Body]),
    );
    expect(puts[`batch_output/${batchId}/input/documents.txt`]).toBe("VPN\nPrinter\n");
    expect(JSON.parse(puts[`batch_output/${batchId}/input/ids.json`] as string)).toEqual({
      tickets: ["INC1", "INC2", "INC3"],
      documents: ["INC1", "INC3"],
    });
    const email = publishedEvents(sns)[0]?.email as string;
    expect(email).toContain(
      "Empty tickets (no text, not sent, no cost; flagged for review in the results): 1.",
    );
    expect(email).toContain(
      "Rows repeating an earlier ticket's number (the first row of each is classified): 1, e.g. INC1 (record 4).",
    );
  });

  it.each([
    [
      "still training",
      { Status: "TRAINING" as const, Message: undefined as string | undefined },
      "is TRAINING: a job needs a trained one",
    ],
    [
      "in error",
      { Status: "IN_ERROR", Message: "bad data" },
      "is IN_ERROR (bad data): a job needs a trained one",
    ],
  ])("emails why a named classifier %s is refused, and starts nothing", async (_, properties, why) => {
    s3.on(GetObjectCommand).resolves({
      Body: text("number,short_description,description\nINC1,a,b\n"),
      Metadata: { "classifier-arn": ARN("old-run") },
    });
    comprehend
      .on(DescribeDocumentClassifierCommand)
      .resolves({ DocumentClassifierProperties: properties as DocumentClassifierProperties });

    const outcome = await startBatch(source, deps());

    expect((outcome as { reason: string }).reason).toBe(`the classifier ${ARN("old-run")} ${why}`);
    expect(publishedEvents(sns)[0]?.detail.event_type).toBe("batch_failed");
    expect(comprehend.commandCalls(StartDocumentClassificationJobCommand)).toHaveLength(0);
  });

  it("emails why a classifier of another Region is refused", async () => {
    s3.on(GetObjectCommand).resolves({
      Body: text("number,short_description,description\nINC1,a,b\n"),
      Metadata: { "classifier-arn": ARN("old-run").replace("us-east-1", "eu-west-1") },
    });

    const outcome = await startBatch(source, deps({ region: "us-east-1" }));

    expect((outcome as { reason: string }).reason).toContain(
      "is in eu-west-1, and batch jobs here run in us-east-1",
    );
  });

  it("turns Comprehend's refusal of the job into the rejected email with its reason instead of a failure", async () => {
    s3.on(GetObjectCommand).resolves({ Body: text("number,short_description,description\nINC1,a,b\n") });
    comprehend.on(StartDocumentClassificationJobCommand).rejects(
      Object.assign(new Error("The classifier is not in TRAINED state"), {
        name: "InvalidRequestException",
      }),
    );

    const outcome = await startBatch(source, deps());

    expect(outcome).toMatchObject({ status: "rejected" });
    expect(publishedEvents(sns)[0]?.email).toContain(
      `Comprehend refused the job with ${ARN("new-run")}: The classifier is not in TRAINED state`,
    );
  });

  it("on a retry after the job started, keeps that job and its classifier, even with the quota used up", async () => {
    // Prepare: the first attempt started the job (the 10th running one), then its email failed.
    s3.on(GetObjectCommand).resolves({ Body: text("number,short_description,description\nINC1,a,b\n") });
    comprehend
      .on(ListDocumentClassificationJobsCommand)
      .callsFake((input: { Filter?: { JobName?: string } }) => ({
        DocumentClassificationJobPropertiesList: input.Filter?.JobName
          ? [
              {
                JobName: input.Filter.JobName,
                JobId: "job-first",
                JobArn: "arn:job-first",
                DocumentClassifierArn: ARN("old-run"),
                JobStatus: "IN_PROGRESS",
              },
            ]
          : Array.from({ length: 10 }, () => ({})),
      }));

    // Act
    const outcome = await startBatch(source, deps());

    // Assess
    expect(outcome).toMatchObject({ status: "started", job_id: "job-first" });
    expect(comprehend.commandCalls(StartDocumentClassificationJobCommand)).toHaveLength(0);
    expect(publishedEvents(sns)[0]?.detail).toMatchObject({
      event_type: "batch_started",
      job_id: "job-first",
      classifier_arn: ARN("old-run"),
    });
    const marker = s3
      .commandCalls(PutObjectCommand)
      .find((c) => String(c.args[0].input.Key).endsWith("/job.json"))?.args[0].input;
    expect(JSON.parse(String(marker?.Body))).toMatchObject({
      job_id: "job-first",
      classifier_arn: ARN("old-run"),
    });
  });

  it.each(["KmsKeyValidationException", "TooManyTagsException"])(
    "emails Comprehend's %s as a refusal instead of retrying it",
    async (name) => {
      s3.on(GetObjectCommand).resolves({ Body: text("number,short_description,description\nINC1,a,b\n") });
      comprehend
        .on(StartDocumentClassificationJobCommand)
        .rejects(Object.assign(new Error("refused"), { name }));

      expect(await startBatch(source, deps())).toMatchObject({ status: "rejected" });
    },
  );

  it("refuses a job while Comprehend's quota of concurrent jobs is used up, naming it", async () => {
    s3.on(GetObjectCommand).resolves({ Body: text("number,short_description,description\nINC1,a,b\n") });
    comprehend
      .on(ListDocumentClassificationJobsCommand, { Filter: { JobStatus: "IN_PROGRESS" } })
      .resolves({ DocumentClassificationJobPropertiesList: Array.from({ length: 10 }, () => ({})) });

    const outcome = await startBatch(source, deps());

    expect((outcome as { reason: string }).reason).toContain(
      "10 classification jobs are running in this account and Region, and Comprehend runs at most 10 at a time",
    );
    expect(comprehend.commandCalls(StartDocumentClassificationJobCommand)).toHaveLength(0);
  });

  it("refuses an export over Comprehend's documents per job, naming the limit", async () => {
    const rows = Array.from({ length: 3 }, (_, i) => `INC${i},text ${i},`);
    s3.on(GetObjectCommand).resolves({
      Body: text(`number,short_description,description\n${rows.join("\n")}\n`),
    });

    const outcome = await startBatch(source, deps({ jobLimits: { maxLines: 2 } }));

    expect((outcome as { reason: string }).reason).toBe(
      "3 tickets with text are over Comprehend's limit of 2 documents (lines) per classification job; split the export into uploads of at most that many",
    );
  });
});

describe("finishing a backlog job", () => {
  const outputKey = "batch_output/backlog-0123456789ab/output/111122223333-CLN-job1/output/output.tar.gz";
  const finish = (reviewThreshold = 0.5) =>
    finishBatch("data", outputKey, {
      s3: new S3Client({}),
      sns: new SNSClient({}),
      comprehend: new ComprehendClient({}),
      logger: createLogger("batch-test"),
      topicArn: "arn:aws:sns:us-east-1:111122223333:itsr",
      outputPrefix: "batch_output/",
      reviewThreshold,
      reviewQueue: true,
      now: () => new Date("2026-11-30T10:13:00Z"),
    });

  beforeEach(async () => {
    s3.on(GetObjectCommand, { Key: "batch_output/backlog-0123456789ab/input/ids.json" }).resolves({
      Body: text('{"tickets":["INC1","INC2","INC3"],"documents":["INC1","INC2","INC3"]}'),
    });
    s3.on(GetObjectCommand, { Key: "batch_output/backlog-0123456789ab/job.json" }).resolves({
      Body: text('{"job_id":"job1","classifier_arn":"arn:c"}'),
    });
    s3.on(GetObjectCommand, { Key: "batch_output/backlog-0123456789ab/input/documents.txt" }).resolves({
      Body: text(`${"x".repeat(250)}\nshort\nthird\n`),
    });
    s3.on(GetObjectCommand, { Key: outputKey }).resolves({
      Body: bytes(await jobOutput([prediction(2, "Network", 0.4), prediction(0, "Network", 0.9)])),
    });
    comprehend.on(DescribeDocumentClassificationJobCommand).resolves({
      DocumentClassificationJobProperties: {
        SubmitTime: new Date("2026-11-30T10:00:00Z"),
        EndTime: new Date("2026-11-30T10:12:00Z"),
      },
    });
  });

  it("joins the predictions to the ticket ids, writes the results CSV and emails the summary with time and cost", async () => {
    const outcome = await finish();

    expect(outcome).toMatchObject({ status: "finished", missing: 1 });
    const csv = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(csv?.Key).toBe("batch_output/backlog-0123456789ab/results.csv");
    expect(String(csv?.Body).trim().split("\n")).toEqual([
      "id,predicted_label,score,runner_up_label,runner_up_score,needs_review,review_reason",
      "INC1,Network,0.9,Other,0.09999999999999998,false,",
      "INC2,,,,,true,no prediction",
      "INC3,Other,0.6,Network,0.4,false,",
    ]);
    const email = publishedEvents(sns)[0]?.email as string;
    expect(email).toContain("Tickets per label:\n  Network: 1\n  Other: 1");
    expect(email).toContain("Need review: 1 (no prediction: 1)");
    expect(email).toContain(
      "Job time: 12 min; cost: less than $0.01 at $0.0005 per 100 characters (at least 300 per ticket)",
    );
    expect(email).toContain("Results: s3://data/batch_output/backlog-0123456789ab/results.csv");
  });

  it("queues the low-score tickets for review beside the API's, before the email that counts them", async () => {
    // Act: INC3's top score, 0.6, is below a threshold of 0.7.
    await finish(0.7);

    // Assess
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    const queued = puts.filter((p) => p.Key?.startsWith("review/queue/"));
    expect(queued.map((p) => p.Key)).toEqual(["review/queue/batch-backlog-0123456789ab-3.json"]);
    expect(JSON.parse(String(queued[0]?.Body))).toEqual({
      id: "batch-backlog-0123456789ab-3",
      text: "third",
      predicted_label: "Other",
      score: 0.6,
      scores: [
        { label: "Other", score: 0.6 },
        { label: "Network", score: 0.4 },
      ],
      threshold: 0.7,
      received_at: "2026-11-30T10:13:00.000Z",
      source: "batch",
    });
    expect(publishedEvents(sns)[0]?.email).toContain("Queued for review: 1 low-score tickets");
    expect(puts.findIndex((p) => p.Key?.startsWith("review/queue/"))).toBeLessThan(
      puts.findIndex((p) => p.Key?.endsWith("finished.json")),
    );
  });

  it("marks the batch finished only after the email went out", async () => {
    await finish();

    const keys = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key);
    expect(keys).toEqual([
      "batch_output/backlog-0123456789ab/results.csv",
      "batch_output/backlog-0123456789ab/finished.json",
    ]);
    const [published] = sns.commandCalls(PublishCommand);
    const marked = s3.commandCalls(PutObjectCommand)[1];
    expect(published?.calledBefore(marked as never)).toBe(true);
  });

  it("emails on the retry when the first attempt failed after writing the results", async () => {
    sns.on(PublishCommand).rejectsOnce(new Error("SNS unavailable")).resolves({ MessageId: "m" });
    const written = new Set<string>();
    s3.on(PutObjectCommand).callsFake((input: { Key: string }) => {
      written.add(input.Key);
      return {};
    });
    s3.on(HeadObjectCommand).callsFake((input: { Key: string }) => {
      if (written.has(input.Key)) return {};
      throw notFound();
    });

    await expect(finish()).rejects.toThrow("SNS unavailable");
    expect(await finish()).toMatchObject({ status: "finished" });
    expect(await finish()).toMatchObject({ status: "duplicate" });

    expect(sns.commandCalls(PublishCommand).filter((c) => c.returnValue !== undefined)).toHaveLength(2);
    expect(publishedEvents(sns)).toHaveLength(2);
  });

  it("reads the ids of a batch started before empty tickets were left out (one id per line)", async () => {
    s3.on(GetObjectCommand, { Key: "batch_output/backlog-0123456789ab/input/ids.json" }).resolves({
      Body: text('["INC1","INC2","INC3"]'),
    });

    expect(await finish()).toMatchObject({ status: "finished", missing: 1 });
  });

  it("does nothing twice for a duplicate delivery of the output", async () => {
    s3.on(HeadObjectCommand).resolves({});

    expect(await finish()).toMatchObject({ status: "duplicate" });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it("prices a job per 100 characters with Comprehend's 3-unit minimum", () => {
    expect(batchCostUsd([250, 5, 99])).toBe(Math.round((3 + 3 + 3) * 0.0005 * 100) / 100);
    expect(batchCostUsd(Array(10_000).fill(1000))).toBe(50);
  });
});

describe("reporting backlog jobs that ended without results", () => {
  const job = (over: Partial<DocumentClassificationJobProperties>): DocumentClassificationJobProperties => ({
    JobId: "job-1",
    JobName: "itsr-backlog-0a1b2c3d4e5f",
    JobStatus: "FAILED",
    Message: "INTERNAL_SERVER_ERROR: the classifier could not be loaded",
    InputDataConfig: { S3Uri: "s3://data/batch_output/backlog-0a1b2c3d4e5f/input/documents.txt" },
    ...over,
  });
  const checkDeps = {
    s3: new S3Client({}),
    sns: new SNSClient({}),
    comprehend: new ComprehendClient({}),
    logger: createLogger("batch-test"),
    topicArn: "arn:aws:sns:us-east-1:111122223333:itsr",
    namePrefix: "itsr",
    bucket: "data",
    outputPrefix: "batch_output/",
  };

  it("emails a failed job once with Comprehend's message and marks it reported", async () => {
    // Prepare
    comprehend
      .on(ListDocumentClassificationJobsCommand, { Filter: { JobStatus: "FAILED" } })
      .resolves({ DocumentClassificationJobPropertiesList: [job({})] })
      .on(ListDocumentClassificationJobsCommand, { Filter: { JobStatus: "STOPPED" } })
      .resolves({ DocumentClassificationJobPropertiesList: [] });
    s3.on(HeadObjectCommand).rejects(notFound());
    s3.on(PutObjectCommand).resolves({});

    // Act
    const outcomes = await checkBatchJobs(checkDeps);

    // Assess
    expect(outcomes).toEqual([{ batch_id: "backlog-0a1b2c3d4e5f", job_id: "job-1", status: "reported" }]);
    const event = publishedEvent(sns);
    expect(event.detail.event_type).toBe("batch_failed");
    expect(event.subject).toBe("Backlog classification failed: batch backlog-0a1b2c3d4e5f");
    expect(event.email).toContain(
      "Comprehend's message: INTERNAL_SERVER_ERROR: the classifier could not be loaded",
    );
    expect(event.email).toContain("upload the export again under a new name");
    const marker = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(marker?.Key).toBe("batch_output/backlog-0a1b2c3d4e5f/failure-reported.json");
  });

  it("stays silent about a job already reported", async () => {
    // Prepare
    comprehend
      .on(ListDocumentClassificationJobsCommand, { Filter: { JobStatus: "FAILED" } })
      .resolves({ DocumentClassificationJobPropertiesList: [] })
      .on(ListDocumentClassificationJobsCommand, { Filter: { JobStatus: "STOPPED" } })
      .resolves({
        DocumentClassificationJobPropertiesList: [job({ JobStatus: "STOPPED", Message: undefined })],
      });
    s3.on(HeadObjectCommand).resolves({});

    // Act
    const outcomes = await checkBatchJobs(checkDeps);

    // Assess
    expect(outcomes.map((o) => o.status)).toEqual(["already_reported"]);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it("leaves jobs of other apps and other buckets alone", () => {
    // Prepare
    const app = { namePrefix: "itsr", bucket: "data", outputPrefix: "batch_output/" };

    // Act
    const owners = [
      job({}),
      job({ JobName: "itsr-dev-backlog-0a1b2c3d4e5f" }),
      job({
        JobName: "itsr-dev-backlog-0a1b2c3d4e5f",
        InputDataConfig: { S3Uri: "s3://dev-data/batch_output/backlog-0a1b2c3d4e5f/input/documents.txt" },
      }),
      job({ JobName: "someone-elses-job" }),
      job({ InputDataConfig: { S3Uri: "s3://data/training/backlog-0a1b2c3d4e5f/documents.txt" } }),
    ].map((candidate) => batchOfJob(candidate, app));

    // Assess
    expect(owners).toEqual(["backlog-0a1b2c3d4e5f", undefined, undefined, undefined, undefined]);
  });
});
