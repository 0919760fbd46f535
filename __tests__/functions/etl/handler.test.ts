import { createReadStream } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { Context, S3Event } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { buildFixtureSet, type FixtureSet, writeFixture } from "../../fixtures/etl/fixture-set";
import { publishedEvents } from "../published-events";

const s3 = mockClient(S3Client);
const sns = mockClient(SNSClient);
const TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:pipeline";

let fixtures: FixtureSet;
let workRoot: string;
let handler: (event: S3Event, context: Context) => Promise<unknown>;

const context = {
  awsRequestId: "req-1",
  functionName: "etl",
  functionVersion: "$LATEST",
  invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:etl",
  memoryLimitInMB: "3008",
} as Context;

function s3Event(key: string, versionId = "v1"): S3Event {
  return {
    Records: [
      {
        eventName: "ObjectCreated:Put",
        s3: { bucket: { name: "data-bucket" }, object: { key, versionId, eTag: "etag1", size: 1 } },
      },
    ],
  } as unknown as S3Event;
}

/** GetObject's Body in Node is a Readable; the handler only streams it to disk. */
function serve(path: string) {
  s3.on(GetObjectCommand).callsFake(() => ({ Body: createReadStream(path) }));
}

function notFound(): Error {
  return Object.assign(new Error("Not Found"), { name: "NotFound" });
}

const published = () => publishedEvents(sns);

beforeAll(async () => {
  fixtures = await buildFixtureSet();
  workRoot = await mkdtemp(join(tmpdir(), "etl-efs-"));
  Object.assign(process.env, {
    TOPIC_ARN,
    NAME_PREFIX: "itsr",
    WORK_DIR: workRoot,
    PREPPED_PREFIX: "prepped_data/",
    REPORTS_PREFIX: "reports/",
    CSV_LABEL_COLUMN: "assignment_group",
    CSV_TEXT_COLUMNS: "short_description,description",
    MIN_DOCS_PER_LABEL: "5",
    MAX_DOC_BYTES: "10000",
    // The baseline draws its page with Vega, an ES module jest cannot load: process-upload.test.ts covers it
    // with an injected baseline, the bundle smoke (bench/etl-bundle-smoke.ts) with the real one.
    BASELINE_MAX_DOCUMENTS: "0",
  });
  ({ handler } = await import("../../../functions/etl/handler"));
});

afterAll(async () => {
  await rm(fixtures.dir, { recursive: true, force: true });
  await rm(workRoot, { recursive: true, force: true });
});

beforeEach(() => {
  s3.reset();
  sns.reset();
  s3.on(HeadObjectCommand).rejects(notFound());
  s3.on(PutObjectCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: "m1" });
});

describe("ETL handler", () => {
  it("uploads the training files and the report, then announces the run with its label counts", async () => {
    // Prepare
    serve(fixtures.goodZip);

    // Act
    const result = await handler(s3Event("raw_data/dataverse+files.zip"), context);

    // Assess
    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, {
      Bucket: "data-bucket",
      Key: "raw_data/dataverse files.zip",
      VersionId: "v1",
    });
    const keys = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key);
    const runId = (result as { run_id: string }[])[0]?.run_id as string;
    expect(runId).toMatch(/^dataverse-files-[0-9a-f]{12}$/);
    expect(keys).toEqual([
      `prepped_data/${runId}/0000-spark.csv`,
      `prepped_data/${runId}/0001-hadoop.csv`,
      `prepped_data/${runId}.test.csv`,
      `reports/${runId}/report.json`,
    ]);
    const [event] = published();
    expect(event?.input.MessageAttributes).toEqual({
      event_type: { DataType: "String", StringValue: "etl_completed" },
    });
    expect(event?.detail).toEqual({
      event_type: "etl_completed",
      run_id: runId,
      training_data_uri: `s3://data-bucket/prepped_data/${runId}/`,
      // The fixed test set: a tenth of each label, at least one, beside (not under) the training prefix.
      test_data_uri: `s3://data-bucket/prepped_data/${runId}.test.csv`,
      test_label_counts: { HADOOP: 1, SPARK: 1 },
      report_uri: `s3://data-bucket/reports/${runId}/report.json`,
      label_counts: { HADOOP: 5, SPARK: 10 },
      label_count: 2,
      document_count: 15,
      left_out_labels: ["TINY"],
      training_data_bytes: expect.any(Number),
      source: { bucket: "data-bucket", key: "raw_data/dataverse files.zip", version_id: "v1", etag: "etag1" },
    });
    expect(event?.email).toContain("SPARK: 10");
    expect(event?.email).toContain(
      `Test set: s3://data-bucket/prepped_data/${runId}.test.csv (2 documents, 10% of each label, held out of training`,
    );
    expect(event?.email).toContain("Left out, with fewer than 5 documents each: TINY (2).");
    expect(event?.email).toMatch(
      /Average ticket: \d+ characters\. When you serve this model, set typical_ticket_characters = \d+ in terraform\.tfvars/,
    );
    expect(event?.email).toContain("training of the Comprehend classifier starts automatically");
    expect(await readdir(workRoot)).toEqual([]);
  });

  it("writes a report naming the run, the source and the counts", async () => {
    // Prepare
    serve(fixtures.goodZip);

    // Act
    await handler(s3Event("raw_data/dataverse_files.zip"), context);

    // Assess
    const reportCall = s3
      .commandCalls(PutObjectCommand)
      .find((call) => call.args[0].input.Key?.endsWith("report.json"));
    const report = JSON.parse(Buffer.from(reportCall?.args[0].input.Body as Uint8Array).toString("utf8"));
    expect(report).toMatchObject({
      run_id: expect.stringMatching(/^dataverse-files-/),
      source: { bucket: "data-bucket", key: "raw_data/dataverse_files.zip", version_id: "v1" },
      label_counts: { HADOOP: 5, SPARK: 10 },
      test_set: { file: "test/test.csv", share: 0.1, documents: 2, label_counts: { HADOOP: 1, SPARK: 1 } },
      left_out_labels: [{ label: "TINY", documents: 2 }],
      input: { kind: "seoss-zip" },
    });
  });

  it("does nothing for a duplicate delivery of a completed upload: same run id, no second publish", async () => {
    // Prepare
    serve(fixtures.goodZip);
    const [first] = (await handler(s3Event("raw_data/ds.zip"), context)) as { run_id: string }[];
    s3.reset();
    sns.reset();
    s3.on(HeadObjectCommand).resolves({});

    // Act
    const [second] = (await handler(s3Event("raw_data/ds.zip"), { ...context, awsRequestId: "req-2" })) as {
      run_id: string;
    }[];

    // Assess
    expect(second).toEqual({ run_id: first?.run_id, status: "already_completed" });
    expect(s3).toHaveReceivedCommandWith(HeadObjectCommand, {
      Bucket: "data-bucket",
      Key: `reports/${first?.run_id}/report.json`,
    });
    expect(s3).not.toHaveReceivedCommand(GetObjectCommand);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  it("tells the operator why an unusable upload was rejected and leaves it untouched", async () => {
    // Prepare
    serve(await writeFixture(fixtures.dir, "broken.zip", "this is not a zip"));

    // Act
    const result = await handler(s3Event("raw_data/broken.zip"), context);

    // Assess
    expect(result).toEqual([
      {
        run_id: expect.stringMatching(/^broken-/),
        status: "rejected",
        reason: "broken.zip is not a zip archive",
      },
    ]);
    const [event] = published();
    expect(event?.input.MessageAttributes?.event_type?.StringValue).toBe("etl_failed");
    expect(event?.detail).toMatchObject({
      event_type: "etl_failed",
      reason: "broken.zip is not a zip archive",
      source: { bucket: "data-bucket", key: "raw_data/broken.zip", version_id: "v1" },
    });
    expect(event?.email).toContain("The uploaded object was left untouched.");
    const puts = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key);
    expect(puts).toEqual([expect.stringMatching(/^reports\/broken-[a-z0-9-]+\/rejected\.json$/)]);
    expect(s3).not.toHaveReceivedCommand(DeleteObjectCommand);
    expect(await readdir(workRoot)).toEqual([]);
  });

  it("does not email again when a rejected upload is delivered again", async () => {
    // Prepare
    serve(await writeFixture(fixtures.dir, "broken-again.zip", "still not a zip"));
    const [first] = (await handler(s3Event("raw_data/broken-again.zip"), context)) as { run_id: string }[];
    const rejection = s3.commandCalls(PutObjectCommand)[0]?.args[0].input.Key;
    s3.reset();
    sns.reset();
    s3.on(HeadObjectCommand).rejects(notFound());
    s3.on(HeadObjectCommand, { Key: rejection }).resolves({});

    // Act
    const [second] = (await handler(s3Event("raw_data/broken-again.zip"), {
      ...context,
      awsRequestId: "req-2",
    })) as unknown[];

    // Assess
    expect(second).toEqual({ run_id: first?.run_id, status: "already_rejected" });
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
    expect(s3).not.toHaveReceivedCommand(GetObjectCommand);
  });

  it("throws on an unexpected S3 failure so Lambda retries, without publishing", async () => {
    // Prepare
    s3.on(GetObjectCommand).rejects(
      Object.assign(new Error("We encountered an internal error"), { name: "InternalError" }),
    );

    // Act / Assess
    await expect(handler(s3Event("raw_data/ds.zip"), context)).rejects.toThrow(
      "We encountered an internal error",
    );
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
    expect(await readdir(workRoot)).toEqual([]);
  });

  it("throws when it cannot tell whether the run already completed", async () => {
    // Prepare
    s3.on(HeadObjectCommand).rejects(Object.assign(new Error("Forbidden"), { name: "403" }));

    // Act / Assess
    await expect(handler(s3Event("raw_data/ds.zip"), context)).rejects.toThrow("Forbidden");
    expect(s3).not.toHaveReceivedCommand(GetObjectCommand);
  });

  it("converts a CSV ticket export with the configured columns", async () => {
    // Prepare
    const rows = ["number,assignment_group,short_description,description"];
    for (let i = 0; i < 6; i++)
      rows.push(`INC${i},Network,VPN down,"Cannot connect, again"`, `INC${i}b,Desk,Password,Reset it`);
    serve(await writeFixture(fixtures.dir, "export.csv", rows.join("\n")));

    // Act
    await handler(s3Event("raw_data/export.csv"), context);

    // Assess
    const [event] = published();
    expect(event?.detail).toMatchObject({
      event_type: "etl_completed",
      label_counts: { Desk: 5, Network: 5 },
    });
    const keys = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key);
    // One of each label's six held out as the test set (test_share 0.1, at least one).
    expect(keys).toEqual([
      expect.stringMatching(/^prepped_data\/export-[0-9a-f]{12}\/tickets\.csv$/),
      expect.stringMatching(/^prepped_data\/export-[0-9a-f]{12}\.test\.csv$/),
      expect.any(String),
    ]);
  });

  it("ignores an object that is not a .zip or .csv upload", async () => {
    // Act
    const result = await handler(s3Event("raw_data/readme.txt"), context);

    // Assess
    expect(result).toEqual([]);
    expect(s3).not.toHaveReceivedCommand(HeadObjectCommand);
  });

  it("turns an export of closed tickets under corrections_input/ into corrections, once", async () => {
    // Prepare: the weekly export, with the group agents finally gave each ticket.
    const rows = ["number,assignment_group,short_description,description"];
    rows.push(
      'INC1,Network,VPN drops,"every ten minutes, since Monday"',
      "INC2,Desk,Password reset,locked out",
    );
    rows.push("INC3,,no group yet,still open");
    serve(await writeFixture(fixtures.dir, "closed.csv", rows.join("\n")));

    // Act
    const [outcome] = (await handler(s3Event("corrections_input/closed.csv"), context)) as { key: string }[];

    // Assess: one correction per labelled ticket, as JSON Lines under corrections/, and an email that says so.
    const put = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    expect(put).toHaveLength(1);
    expect(put[0]?.Key).toMatch(/^corrections\/csv\/closed-[0-9a-f]{12}\.jsonl$/);
    expect(outcome).toMatchObject({ status: "imported", corrections: 2, key: put[0]?.Key });
    const corrections = String(put[0]?.Body)
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(corrections).toEqual([
      expect.objectContaining({
        text: "VPN drops every ten minutes, since Monday",
        label: "Network",
        source: "csv",
      }),
      expect.objectContaining({ text: "Password reset locked out", label: "Desk", source: "csv" }),
    ]);
    const [event] = published();
    expect(event?.input.MessageAttributes?.event_type?.StringValue).toBe("corrections_imported");
    expect(event?.email).toContain(
      `2 corrections from s3://data-bucket/corrections_input/closed.csv are stored as`,
    );
    expect(event?.email).toContain("Left out: 1 rows without text or label.");

    // Act again: S3 delivers the same upload a second time.
    s3.reset();
    sns.reset();
    s3.on(HeadObjectCommand).resolves({});
    const [again] = (await handler(s3Event("corrections_input/closed.csv"), context)) as { status: string }[];

    // Assess: found done, nothing written or sent.
    expect(again?.status).toBe("already_imported");
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  it("says why an export cannot be imported as corrections, and stores nothing", async () => {
    serve(await writeFixture(fixtures.dir, "wrong.csv", "ticket,team\nINC1,Network\n"));

    const [outcome] = (await handler(s3Event("corrections_input/wrong.csv"), context)) as {
      status: string;
    }[];

    expect(outcome?.status).toBe("rejected");
    expect(s3).not.toHaveReceivedCommand(PutObjectCommand);
    const [event] = published();
    expect(event?.input.MessageAttributes?.event_type?.StringValue).toBe("corrections_failed");
    expect(event?.email).toContain('no label column "assignment_group"');
  });
});
