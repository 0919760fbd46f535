import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { type EtlDeps, processUpload } from "../../../functions/etl/process-upload";
import type { BaselineArtifacts } from "../../../functions/evaluation/baseline";
import { createLogger } from "../../../functions/shared/logger";
import { writeFixture } from "../../fixtures/etl/fixture-set";
import { publishedEvents } from "../published-events";

const s3 = mockClient(S3Client);
const sns = mockClient(SNSClient);
let dir: string;
let csv: string;

const SUMMARY = {
  documents: 40,
  sampled_from: 40,
  split: "holdout: 20% of each label held out for testing",
  accuracy: 0.9,
  macro_f1: 0.875,
  weighted_f1: 0.9,
  weakest_labels: [{ label: "B", f1: 0.8, support: 4 }],
  most_confused: [{ actual: "B", predicted: "A", count: 1 }],
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "process-upload-"));
  const rows = ["assignment_group,short_description,description"];
  for (let i = 0; i < 20; i++) rows.push(`A,vpn ${i},drops`, `B,printer ${i},jam`);
  csv = await writeFixture(dir, "tickets.csv", `${rows.join("\n")}\n`);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  s3.reset();
  sns.reset();
  s3.on(HeadObjectCommand).rejects(Object.assign(new Error("Not Found"), { name: "NotFound" }));
  s3.on(GetObjectCommand).callsFake(() => ({ Body: createReadStream(csv) }));
  s3.on(PutObjectCommand).resolves({});
  sns.on(PublishCommand).resolves({ MessageId: "m1" });
});

function deps(baseline?: EtlDeps["baseline"]): EtlDeps {
  return {
    s3: new S3Client({}),
    sns: new SNSClient({}),
    logger: createLogger("etl-test"),
    topicArn: "arn:aws:sns:us-east-1:123456789012:pipeline",
    workDir: dir,
    preppedPrefix: "prepped_data/",
    reportsPrefix: "reports/",
    settings: {
      minDocsPerLabel: 5,
      maxDocBytes: 10000,
      labelColumn: "assignment_group",
      textColumns: ["short_description", "description"],
    },
    ...(baseline ? { baseline } : {}),
  };
}

const source = { bucket: "data-bucket", key: "raw_data/tickets.csv", versionId: "v1" };

describe("the baseline after the ETL", () => {
  it("stores the baseline's page, matrix and figures beside the report and quotes them in the email", async () => {
    // Prepare
    const seen: string[] = [];
    const baseline = async (trainingDataDir: string): Promise<BaselineArtifacts> => {
      seen.push(trainingDataDir);
      return { summary: SUMMARY, json: "{}", html: "<html></html>", svg: "<svg/>" };
    };

    // Act
    const outcome = await processUpload(source, deps(baseline));

    // Assess
    const runId = (outcome as { run_id: string }).run_id;
    const puts = s3
      .commandCalls(PutObjectCommand)
      .map((call) => [call.args[0].input.Key, call.args[0].input.ContentType]);
    expect(puts).toEqual(
      expect.arrayContaining([
        [`reports/${runId}/evaluation.json`, "application/json"],
        [`reports/${runId}/evaluation.html`, "text/html; charset=utf-8"],
        [`reports/${runId}/confusion-matrix.svg`, "image/svg+xml"],
      ]),
    );
    expect(seen).toHaveLength(1);
    const [event] = publishedEvents(sns);
    expect(event?.email).toContain(
      "Baseline before training: a local linear model on 40 documents (holdout: 20% of each label held out for testing):",
    );
    expect(event?.email).toContain("  Accuracy 90.0%, macro-F1 87.5%, weighted F1 90.0%");
    expect(event?.email).toContain("  Weakest labels: B (F1 80.0%)");
    expect(event?.email).toContain("  Most confused: B taken for A (1)");
    expect(event?.email).toContain(
      `  Page with the per-label table and the confusion matrix: s3://data-bucket/reports/${runId}/evaluation.html`,
    );
    expect(event?.detail).toMatchObject({
      baseline: { ...SUMMARY, page_uri: `s3://data-bucket/reports/${runId}/evaluation.html` },
    });
  });

  it("starts training all the same when the baseline fails, and says why there is none", async () => {
    const outcome = await processUpload(
      source,
      deps(async () => Promise.reject(new Error("out of memory"))),
    );

    expect(outcome).toMatchObject({ status: "completed" });
    const [event] = publishedEvents(sns);
    expect(event?.detail.event_type).toBe("etl_completed");
    expect(event?.email).toContain("No baseline this time (out of memory); training goes ahead.");
    expect(
      s3.commandCalls(PutObjectCommand).some((call) => call.args[0].input.Key?.endsWith("evaluation.html")),
    ).toBe(false);
  });
});

describe("a baseline that cannot finish", () => {
  it("is skipped on the retry after an attempt that never finished, and training starts even with a bar", async () => {
    // Prepare: an earlier attempt of this run began the baseline and was killed (out of memory or time).
    s3.on(HeadObjectCommand).callsFake((input: { Key: string }) => {
      if (input.Key.endsWith("/baseline-attempted.json")) return {};
      throw Object.assign(new Error("Not Found"), { name: "NotFound" });
    });
    const baseline = jest.fn(async (): Promise<BaselineArtifacts> => {
      throw new Error("must not run again");
    });

    // Act
    const outcome = await processUpload(source, { ...deps(baseline), minBaselineMacroF1: 0.6 });

    // Assess
    expect(outcome).toMatchObject({ status: "completed" });
    expect(baseline).not.toHaveBeenCalled();
    const [event] = publishedEvents(sns);
    expect(event?.detail.event_type).toBe("etl_completed");
    expect(event?.email).toContain(
      "No baseline this time (an earlier attempt of this run did not finish it (out of memory or time)); training goes ahead.",
    );
  });

  it("marks the attempt before running, and gives the baseline the run's labels, a memory share and a deadline", async () => {
    const baseline = jest.fn(
      async (): Promise<BaselineArtifacts> => ({
        summary: SUMMARY,
        json: "{}",
        html: "<html></html>",
        svg: "<svg/>",
      }),
    );
    const before = Date.now();

    await processUpload(source, { ...deps(baseline), remainingMs: () => 600_000, memoryMb: 4096 });

    const budget = (baseline.mock.calls[0] as unknown[])[2] as {
      labels: number;
      memoryBytes: number;
      deadline: number;
    };
    expect(budget.labels).toBe(2);
    expect(budget.memoryBytes).toBe(1024 * 1024 * 1024);
    expect(budget.deadline).toBeGreaterThanOrEqual(before + 600_000 - 120_000);
    expect(budget.deadline).toBeLessThanOrEqual(Date.now() + 600_000 - 120_000);
    const keys = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key as string);
    expect(keys.findIndex((key) => key.endsWith("baseline-attempted.json"))).toBeLessThan(
      keys.findIndex((key) => key.endsWith("evaluation.html")),
    );
  });
});

describe("the optional baseline bar", () => {
  const weak = async (): Promise<BaselineArtifacts> => ({
    summary: { ...SUMMARY, macro_f1: 0.42 },
    json: "{}",
    html: "<html></html>",
    svg: "<svg/>",
  });

  it("holds training below min_baseline_macro_f1, with the reason and the command that starts it", async () => {
    const outcome = await processUpload(source, { ...deps(weak), minBaselineMacroF1: 0.6 });

    const runId = (outcome as { run_id: string }).run_id;
    const [event] = publishedEvents(sns);
    expect(event?.detail.event_type).toBe("etl_held");
    expect(event?.input.MessageAttributes?.event_type?.StringValue).toBe("etl_held");
    expect(event?.email).toContain(
      "Training was NOT started: the baseline's macro-F1 42.0% is below min_baseline_macro_f1 (60.0%).",
    );
    expect(event?.email).toContain(`   npm run start-training -- --run ${runId}`);
    expect(event?.input.Subject).toBe("Dataset ready, training held: baseline macro-F1 42.0%");
  });

  it("starts training as usual when the bar is met or not set", async () => {
    await processUpload(source, { ...deps(weak), minBaselineMacroF1: 0.4 });
    await processUpload({ ...source, versionId: "v2" }, deps(weak));

    expect(publishedEvents(sns).map((event) => event.detail.event_type)).toEqual([
      "etl_completed",
      "etl_completed",
    ]);
  });
});
