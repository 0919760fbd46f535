import "../../fixtures/train/env";
import { mkdtempSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ComprehendClient,
  CreateDocumentClassifierCommand,
  type CreateDocumentClassifierCommandInput,
  DescribeDocumentClassifierCommand,
  ListTagsForResourceCommand,
  ResourceNotFoundException,
  TagResourceCommand,
} from "@aws-sdk/client-comprehend";
import { S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { Context, S3Event, SNSEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { parse } from "csv-parse/sync";
import { retrainRequestKey } from "../../../contract/retraining";
import { type Correction, correctionKey, importedCorrectionsKey } from "../../../contract/review";
import stubs from "../../../review/upstream-stubs.json";
import { localStateSource } from "../../../scripts/lib/state";
import { main as retrain } from "../../../scripts/retrain";
import { memoryBucket } from "../../fixtures/s3/bucket";
import { snsDelivery } from "../../fixtures/sns/delivery";
import { trainEnv } from "../../fixtures/train/env";
import { publishedEvents } from "../published-events";

const bucket = memoryBucket();
const sns = mockClient(SNSClient);
const comprehend = mockClient(ComprehendClient);
const BUCKET = trainEnv.BUCKET_NAME;
const context = { awsRequestId: "req-1", functionName: "itsr-etl" } as Context;

let workRoot: string;
let etlHandler: (event: S3Event, context: Context) => Promise<unknown>;
let trainHandler: (event: SNSEvent, context: Context) => Promise<unknown>;

function created(key: string): S3Event {
  return {
    Records: [
      {
        eventName: "ObjectCreated:Put",
        s3: { bucket: { name: BUCKET }, object: { key, versionId: "v1", eTag: "etag1", size: 1 } },
      },
    ],
  } as unknown as S3Event;
}

/** What the train function's subscription delivers: the event's `lambda` body in SNS's documented event. */
const delivered = (detail: Record<string, unknown>): SNSEvent => snsDelivery(detail);

const ticket = (group: string, i: number) =>
  `${group} problem number ${i}: the ${group.toLowerCase()} queue owns it`;
function exportCsv(): string {
  const rows = ["number,assignment_group,short_description,description"];
  for (const group of ["Network", "Desk", "Access"]) {
    for (let i = 0; i < 30; i++) rows.push(`INC${group}${i},${group},${ticket(group, i)},`);
  }
  return rows.join("\n");
}
const records = (key: string) => parse(bucket.text(key) ?? "") as [string, string][];

beforeAll(async () => {
  workRoot = await mkdtemp(join(tmpdir(), "retrain-efs-"));
  Object.assign(process.env, {
    NAME_PREFIX: "itsr",
    WORK_DIR: workRoot,
    REPORTS_PREFIX: "reports/",
    CSV_LABEL_COLUMN: "assignment_group",
    CSV_TEXT_COLUMNS: "short_description,description",
    MIN_DOCS_PER_LABEL: "5",
    MAX_DOC_BYTES: "10000",
    TEST_SHARE: "0.2",
    BASELINE_MAX_DOCUMENTS: "0",
  });
  ({ handler: etlHandler } = await import("../../../functions/etl/handler"));
  ({ handler: trainHandler } = await import("../../../functions/train/handler"));
});

afterAll(() => rm(workRoot, { recursive: true, force: true }));

beforeEach(() => {
  bucket.reset();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: "m1" });
  comprehend.reset();
  comprehend
    .on(DescribeDocumentClassifierCommand)
    .rejects(new ResourceNotFoundException({ message: "not found", $metadata: {} }));
  comprehend.on(CreateDocumentClassifierCommand).callsFake((input: CreateDocumentClassifierCommandInput) => ({
    DocumentClassifierArn: `arn:aws:comprehend:us-east-1:111122223333:document-classifier/${input.DocumentClassifierName}/version/${input.VersionName}`,
  }));
  comprehend.on(ListTagsForResourceCommand).resolves({ Tags: [] });
  comprehend.on(TagResourceCommand).resolves({});
});

describe("retraining on corrections", () => {
  it("trains a new version of the served classifier on its documents and every correction, tested on the same documents", async () => {
    // Prepare: a first run from an export, trained and served.
    bucket.put("raw_data/tickets.csv", exportCsv());
    const [first] = (await etlHandler(created("raw_data/tickets.csv"), context)) as { run_id: string }[];
    const servedRun = first?.run_id as string;
    const servedName = `itsr--${servedRun}`;
    const servedArn = `arn:aws:comprehend:us-east-1:111122223333:document-classifier/${servedName}/version/${servedRun}`;
    const servedTest = records(`prepped_data/${servedRun}.test.csv`);
    // Corrections, as the corrections function and an imported export store them.
    const [relabelled] = records(`prepped_data/${servedRun}/tickets.csv`).filter(
      ([label]) => label === "Desk",
    );
    const viaApi: Correction = {
      id: "c0ffee00-0000-4000-8000-000000000001",
      text: relabelled?.[1] as string,
      label: "Access",
      corrected_at: "2026-12-02T09:30:00.000Z",
      source: "api",
    };
    bucket.put(correctionKey(viaApi), JSON.stringify(viaApi));
    const licences = Array.from({ length: 12 }, (_, i) =>
      JSON.stringify({
        id: `lic-${i}`,
        text: `Licence renewal ${i} for the drawing software`,
        label: "Licences",
        corrected_at: "2026-12-03T08:00:00.000Z",
        source: "csv",
      } satisfies Correction),
    );
    bucket.put(
      importedCorrectionsKey("closed-0123456789ab"),
      `${licences.join("\n")}\n{"not":"a correction"}\n`,
    );
    // The operator asks for the next version with the command, the served model read from the inference
    // stack's state.
    const dir = mkdtempSync(join(tmpdir(), "retrain-project-"));
    const outputs = {
      training: { ...stubs.training, s3_bucket_name: BUCKET },
      inference: { served_classifier_arn: servedArn },
    };
    for (const [stack, values] of Object.entries(outputs)) {
      const state = {
        version: 4,
        outputs: Object.fromEntries(Object.entries(values).map(([k, value]) => [k, { value }])),
      };
      writeFileSync(join(dir, `terraform.${stack}.tfstate`), JSON.stringify(state));
    }
    const said: string[] = [];
    const code = await retrain(
      [],
      {
        state: localStateSource(dir),
        s3: (region) => new S3Client({ region }),
        now: () => new Date("2026-12-04T22:00:00Z"),
      },
      (text) => said.push(text),
      (text) => said.push(text),
    );
    expect(code).toBe(0);
    const requestKey = /s3:\/\/[^/]+\/(retrain_input\/\S+\.json)\./.exec(said.join("\n"))?.[1] as string;
    sns.resetHistory();

    // Act: the request's upload event reaches the ETL, its announcement the train function.
    const [outcome] = (await etlHandler(created(requestKey), context)) as {
      run_id: string;
      status: string;
    }[];
    const [announced] = publishedEvents(sns);
    await trainHandler(delivered(announced?.detail ?? {}), context);

    // Assess: a version of the served classifier, whose test file holds every served test document.
    expect(outcome?.status).toBe("completed");
    const run = outcome?.run_id as string;
    expect(run).toMatch(/^retrain-20261204-220000-[0-9a-f]{12}$/);
    const [create] = comprehend
      .commandCalls(CreateDocumentClassifierCommand)
      .map((call) => call.args[0].input);
    expect(create).toMatchObject({
      DocumentClassifierName: servedName,
      VersionName: run,
      InputDataConfig: {
        S3Uri: `s3://${BUCKET}/prepped_data/${run}/`,
        TestS3Uri: `s3://${BUCKET}/prepped_data/${run}.test.csv`,
      },
    });
    const newTest = records(`prepped_data/${run}.test.csv`);
    const newTraining = records(`prepped_data/${run}/tickets.csv`);
    const testTexts = new Set(newTest.map(([, text]) => text));
    for (const [, text] of servedTest) expect(testTexts.has(text)).toBe(true);
    expect(newTraining.filter(([, text]) => testTexts.has(text))).toEqual([]);
    expect(newTraining).toContainEqual(["Access", relabelled?.[1]]);
    expect(newTraining).not.toContainEqual(relabelled);
    expect(new Set(newTest.map(([label]) => label))).toEqual(
      new Set(["Network", "Desk", "Access", "Licences"]),
    );
    expect(announced?.detail).toMatchObject({
      event_type: "etl_completed",
      version_of: servedName,
      served_classifier_arn: servedArn,
    });
    expect(announced?.email).toContain(`The new model is trained as a new version of ${servedName}.`);
    expect(announced?.email).toContain("New labels: Licences.");
    expect(announced?.email).toContain("1 stored correction records were not corrections");
    const report = JSON.parse(bucket.text(`reports/${run}/report.json`) ?? "{}");
    expect(report.retraining).toMatchObject({
      served_classifier_arn: servedArn,
      corrections: 13,
      relabelled: 1,
    });

    // Act again: the new version is promoted, and later retrained in its turn.
    const promoted = `arn:aws:comprehend:us-east-1:111122223333:document-classifier/${servedName}/version/${run}`;
    const nextKey = retrainRequestKey(new Date("2026-12-11T22:00:00Z"));
    bucket.put(
      nextKey,
      JSON.stringify({ served_classifier_arn: promoted, requested_at: "2026-12-11T22:00:00Z" }),
    );
    const [again] = (await etlHandler(created(nextKey), context)) as { run_id: string; status: string }[];

    // Assess: built on the promoted version's own files, and a version of the same classifier again.
    const next = JSON.parse(bucket.text(`reports/${again?.run_id}/report.json`) ?? "{}");
    expect(next.retraining).toMatchObject({ base_run_id: run, version_of: servedName });
    expect(next.retraining.base_test_documents).toBe(newTest.length);
  });

  it("refuses a request naming a classifier this app did not train, and says so", async () => {
    // Prepare
    const requestKey = retrainRequestKey(new Date("2026-12-04T22:05:00Z"));
    bucket.put(
      requestKey,
      JSON.stringify({
        served_classifier_arn:
          "arn:aws:comprehend:us-east-1:111122223333:document-classifier/someone-else/version/v1",
      }),
    );

    // Act
    const [outcome] = (await etlHandler(created(requestKey), context)) as {
      status: string;
      reason: string;
    }[];

    // Assess
    expect(outcome).toMatchObject({
      status: "rejected",
      reason: expect.stringContaining("not a classifier this app trained"),
    });
    const [event] = publishedEvents(sns);
    expect(event?.subject).toBe("Retraining refused: no new training set");
    expect(event?.email).toContain("npm run retrain");
    expect([...bucket.objects.keys()].filter((key) => key.startsWith("prepped_data/"))).toEqual([]);
  });
});
