/**
 * A backlog from upload to results, through the real start and finish code, against mocked AWS calls that
 * each fail on their first attempt (after the SDK's own retries, as Lambda sees it): Lambda retries the
 * invocation, and the operator must still get one row per ticket and exactly one email per stage.
 */
import {
  ComprehendClient,
  DescribeDocumentClassificationJobCommand,
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
import { type AwsStub, mockClient } from "aws-sdk-client-mock";
import { parse } from "csv-parse/sync";
import { finishBatch } from "../../../functions/batch/finish";
import { startBatch } from "../../../functions/batch/start";
import { createLogger } from "../../../functions/shared/logger";
import { jobOutput, prediction } from "../../fixtures/batch/job-output";
import { publishedEvents } from "../published-events";

const s3 = mockClient(S3Client);
const sns = mockClient(SNSClient);
const comprehend = mockClient(ComprehendClient);
const CLASSIFIER = "arn:aws:comprehend:us-east-1:111122223333:document-classifier/itsr--run/version/run";

/** An in-memory bucket behind the S3 mock. */
const bucket = new Map<string, Uint8Array>();
const body = (bytes: Uint8Array) =>
  ({
    transformToString: async () => Buffer.from(bytes).toString("utf8"),
    transformToByteArray: async () => bytes,
  }) as unknown as GetObjectCommandOutput["Body"];

/** Every distinct call (command and its key) fails once, the first time it is made. */
const attempted = new Set<string>();
function failFirst(what: string): void {
  if (attempted.has(what)) return;
  attempted.add(what);
  throw Object.assign(new Error(`first attempt of ${what} failed`), { name: "InternalError" });
}

// biome-ignore lint/suspicious/noExplicitAny: the stubs' input types differ per command.
function withFailures(stub: AwsStub<any, any, any>, command: any, name: string, answer: (input: any) => any) {
  stub.on(command).callsFake(async (input: { Key?: string }) => {
    failFirst(`${name} ${input.Key ?? ""}`);
    return answer(input);
  });
}

/** Lambda's retries of an invocation that threw (it stops after the success). */
async function invokeUntilDone<T>(invocation: () => Promise<T>): Promise<{ result: T; attempts: number }> {
  for (let attempts = 1; ; attempts++) {
    try {
      return { result: await invocation(), attempts };
    } catch (error) {
      if (attempts > 40) throw error;
    }
  }
}

/** A line whose top score is below the review threshold, in the documented shape. */
const uncertain = (line: number) =>
  JSON.stringify({
    File: "documents.txt",
    Line: String(line),
    Classes: [
      { Name: "Network", Score: 0.4 },
      { Name: "Database", Score: 0.35 },
      { Name: "Other", Score: 0.25 },
    ],
  });

/** The events SNS accepted (a failed attempt delivers nothing). */
const delivered: string[] = [];

const TICKETS = 10_000;
/** Every 97th ticket is empty, every 500th row repeats an earlier id, every 7th prediction is below 0.5. */
function backlogCsv(): { csv: string; ids: string[]; empty: Set<string> } {
  const rows = ["number,short_description,description"];
  const ids: string[] = [];
  const empty = new Set<string>();
  for (let i = 0; i < TICKETS; i++) {
    const id = `INC${100000 + i}`;
    ids.push(id);
    if (i % 97 === 0) {
      empty.add(id);
      rows.push(`${id},,`);
    } else rows.push(`${id},VPN ${i} drops,"since Monday, again"`);
    if (i > 0 && i % 500 === 0) rows.push(`INC${100000 + i - 1},a repeated row,`);
  }
  return { csv: `${rows.join("\n")}\n`, ids, empty };
}

beforeEach(() => {
  bucket.clear();
  attempted.clear();
  delivered.length = 0;
  for (const stub of [s3, sns, comprehend]) stub.reset();
  withFailures(s3, HeadObjectCommand, "HeadObject", (input) => {
    if (!bucket.has(input.Key)) throw Object.assign(new Error("Not Found"), { name: "NotFound" });
    return {};
  });
  withFailures(s3, GetObjectCommand, "GetObject", (input) => {
    const bytes = bucket.get(input.Key);
    if (!bytes) throw Object.assign(new Error("NoSuchKey"), { name: "NoSuchKey" });
    return { Body: body(bytes), ContentLength: bytes.length };
  });
  withFailures(s3, PutObjectCommand, "PutObject", (input) => {
    bucket.set(input.Key, Buffer.from(input.Body as string));
    return {};
  });
  withFailures(sns, PublishCommand, "Publish", (input) => {
    delivered.push(JSON.parse(JSON.parse(input.Message).lambda).event_type);
    return { MessageId: "m" };
  });
  withFailures(comprehend, ListDocumentClassifiersCommand, "ListDocumentClassifiers", () => ({
    DocumentClassifierPropertiesList: [
      { DocumentClassifierArn: CLASSIFIER, Status: "TRAINED", TrainingEndTime: new Date("2026-06-01") },
    ],
  }));
  withFailures(comprehend, ListDocumentClassificationJobsCommand, "ListDocumentClassificationJobs", () => ({
    DocumentClassificationJobPropertiesList: [],
  }));
  // Idempotent by ClientRequestToken: every attempt that gets through answers with the same job.
  withFailures(comprehend, StartDocumentClassificationJobCommand, "StartDocumentClassificationJob", () => ({
    JobId: "job-1",
    JobArn: "arn:aws:comprehend:us-east-1:111122223333:document-classification-job/job-1",
  }));
  withFailures(
    comprehend,
    DescribeDocumentClassificationJobCommand,
    "DescribeDocumentClassificationJob",
    () => ({
      DocumentClassificationJobProperties: {
        SubmitTime: new Date("2026-11-30T10:00:00Z"),
        EndTime: new Date("2026-11-30T10:40:00Z"),
      },
    }),
  );
});

it("classifies 10,000 tickets with empty and repeated rows into one row each, flags exactly the right ones, and emails once per stage", async () => {
  // Prepare: the export lands in batch_input/.
  const { csv, ids, empty } = backlogCsv();
  bucket.set("batch_input/backlog.csv", Buffer.from(csv));
  const deps = {
    s3: new S3Client({}),
    sns: new SNSClient({}),
    comprehend: new ComprehendClient({}),
    logger: createLogger("scenario"),
  };

  // Act 1: the upload's event, retried by Lambda until it succeeds.
  const started = await invokeUntilDone(() =>
    startBatch(
      { bucket: "data", key: "batch_input/backlog.csv", versionId: "v1" },
      {
        ...deps,
        config: {
          topicArn: "arn:aws:sns:us-east-1:111122223333:itsr",
          namePrefix: "itsr",
          outputPrefix: "batch_output/",
          dataAccessRoleArn: "arn:aws:iam::111122223333:role/itsr-comprehend-batch-access",
          kmsKeyArn: "arn:aws:kms:us-east-1:111122223333:key/k",
          subnetIds: ["subnet-1"],
          securityGroupIds: ["sg-1"],
          idColumn: "number",
          textColumns: ["short_description", "description"],
        },
      },
    ),
  );
  const batchId = (started.result as { batch_id: string }).batch_id;

  // Comprehend's output for the documents it was given: Line as a string (as documented), every third one a
  // number, the 10th line malformed, the rest scored.
  const documents = Buffer.from(bucket.get(`batch_output/${batchId}/input/documents.txt`) ?? [])
    .toString("utf8")
    .split("\n")
    .filter((line) => line !== "");
  const lines = documents.map((_, line) =>
    line === 10
      ? '{"File": "documents.txt", "Line": "10", "Classes": [{"Name": "Network", "Score": 0.9}'
      : line % 7 === 0
        ? uncertain(line)
        : prediction(
            line,
            line % 3 === 0 ? "Database" : "Network",
            0.9,
            line % 3 === 0 ? "number" : "string",
          ),
  );
  const outputKey = `batch_output/${batchId}/output/111122223333-CLN-job1/output/output.tar.gz`;
  bucket.set(outputKey, await jobOutput(lines));

  // Act 2: the output's event, retried by Lambda until it succeeds, then delivered once more by S3.
  const finish = () =>
    finishBatch("data", outputKey, {
      ...deps,
      topicArn: "arn:aws:sns:us-east-1:111122223333:itsr",
      outputPrefix: "batch_output/",
      // The review queue's writes are covered in batch.test.ts; here the rows and the emails.
      reviewQueue: false,
      reviewThreshold: 0.5,
    });
  const finished = await invokeUntilDone(finish);
  const redelivered = await invokeUntilDone(finish);

  // Assess
  expect(started.attempts).toBeGreaterThan(1);
  expect(finished.attempts).toBeGreaterThan(1);
  expect(redelivered.result).toMatchObject({ status: "duplicate" });
  expect(documents).toHaveLength(TICKETS - empty.size);
  const results = parse(Buffer.from(bucket.get(`batch_output/${batchId}/results.csv`) ?? []), {
    columns: true,
  }) as Record<string, string>[];
  expect(results.map((row) => row.id)).toEqual(ids);
  const documentIds = ids.filter((id) => !empty.has(id));
  const expectedReason = (id: string) => {
    if (empty.has(id)) return "empty ticket";
    const line = documentIds.indexOf(id);
    if (line === 10) return "no prediction";
    return line % 7 === 0 ? "low score" : "";
  };
  const wrong = results.filter((row) => row.review_reason !== expectedReason(row.id as string));
  expect(wrong).toEqual([]);
  expect(results.filter((row) => row.needs_review === "true").length).toBe(
    results.filter((row) => row.review_reason !== "").length,
  );
  expect(delivered).toEqual(["batch_started", "batch_finished"]);
  expect(publishedEvents(sns).length).toBeGreaterThan(delivered.length);
});
