import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import {
  ComprehendClient,
  DescribeEndpointCommand,
  type DocumentClassifierProperties,
  ListDocumentClassifiersCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-comprehend";
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  ListObjectsV2Command,
  S3Client,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { compareModels, modelScores, routingFile } from "../../functions/batch/scoring-report";
import stubs from "../../review/upstream-stubs.json";
import { localStateSource } from "../../scripts/lib/state";
import { main, type StatusDeps } from "../../scripts/status";

const s3 = mockClient(S3Client);
const comprehend = mockClient(ComprehendClient);
const cloudwatch = mockClient(CloudWatchClient);
const NOW = new Date("2026-11-30T12:00:00Z");
const PREFIX = stubs.training.resource_name_prefix;
const BUCKET = stubs.training.s3_bucket_name;
const classifierArn = (runId: string) =>
  `arn:aws:comprehend:us-east-1:111122223333:document-classifier/${PREFIX}--${runId}/version/${runId}`;
const ENDPOINT_ARN =
  "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/comprehend-itsr-endpoint";

function projectWith(stacks: Record<string, Record<string, unknown>>): string {
  const dir = mkdtempSync(join(tmpdir(), "status-"));
  for (const [stack, outputs] of Object.entries(stacks)) {
    const state = {
      version: 4,
      outputs: Object.fromEntries(Object.entries(outputs).map(([k, value]) => [k, { value }])),
    };
    writeFileSync(join(dir, `terraform.${stack}.tfstate`), JSON.stringify(state));
  }
  return dir;
}

/** The part of an S3 body stream that status reads. */
const body = (json: unknown) =>
  ({ transformToString: async () => JSON.stringify(json) }) as unknown as GetObjectCommandOutput["Body"];

function trained(runId: string, ended: string, f1: number): DocumentClassifierProperties {
  return {
    DocumentClassifierArn: classifierArn(runId),
    Status: "TRAINED",
    SubmitTime: new Date(new Date(ended).getTime() - 4 * 3_600_000),
    TrainingStartTime: new Date(new Date(ended).getTime() - 3 * 3_600_000),
    TrainingEndTime: new Date(ended),
    ClassifierMetadata: { EvaluationMetrics: { Accuracy: 0.93, F1Score: f1 } },
  };
}

async function status(dir: string, argv: string[] = [], now = NOW) {
  const out: string[] = [];
  const err: string[] = [];
  const deps: StatusDeps = {
    state: localStateSource(dir),
    s3: (region) => new S3Client({ region }),
    comprehend: (region) => new ComprehendClient({ region }),
    cloudwatch: (region) => new CloudWatchClient({ region }),
    now: () => now,
    env: {},
  };
  const code = await main(
    argv,
    deps,
    (t) => out.push(t),
    (t) => err.push(t),
  );
  return { code, out: out.join("\n"), err: err.join("\n") };
}

beforeEach(() => {
  s3.reset();
  comprehend.reset();
  s3.on(ListObjectsV2Command).resolves({ Contents: [] });
  comprehend.on(ListDocumentClassifiersCommand).resolves({ DocumentClassifierPropertiesList: [] });
  cloudwatch.reset();
  cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
});

describe("npm run status", () => {
  it("says nothing is deployed, and what to run, without calling AWS", async () => {
    const result = await status(projectWith({}));

    expect(result.code).toBe(1);
    expect(result.err).toContain("Nothing is deployed yet");
    expect(result.err).toContain("npm run deploy -- data network training");
    expect(s3.calls()).toHaveLength(0);
    expect(comprehend.calls()).toHaveLength(0);
  });

  it("tells a fresh pipeline to upload a dataset to its bucket", async () => {
    const result = await status(
      projectWith({ data: stubs.data, network: stubs.network, training: stubs.training }),
    );

    expect(result.code).toBe(0);
    expect(result.out).toContain(
      "Stacks: data deployed, network deployed, training deployed, inference not deployed",
    );
    expect(result.out).toContain(
      `Next: Upload a dataset: aws s3 cp dataverse_files.zip s3://${BUCKET}/raw_data/`,
    );
  });

  it("lists the runs from their reports, newest first, rejected ones with the reason", async () => {
    s3.on(ListObjectsV2Command).resolves({
      Contents: [
        { Key: "reports/old-run/report.json", LastModified: new Date("2026-10-01T00:00:00Z") },
        { Key: "reports/bad-run/rejected.json", LastModified: new Date("2026-11-01T00:00:00Z") },
        { Key: "reports/old-run/other.txt", LastModified: new Date("2026-10-02T00:00:00Z") },
        { Key: "reports/old-run/evaluation.json", LastModified: new Date("2026-10-01T00:01:00Z") },
        { Key: "reports/old-run/comprehend-evaluation.json", LastModified: new Date("2026-10-01T05:00:00Z") },
      ],
    });
    s3.on(GetObjectCommand, { Key: "reports/old-run/evaluation.json" }).resolves({
      Body: body({ metrics: { macroF1: 0.8123 } }),
    });
    s3.on(GetObjectCommand, { Key: "reports/old-run/comprehend-evaluation.json" }).resolves({
      Body: body({ metrics: { macroF1: 0.8712 } }),
    });
    s3.on(GetObjectCommand, { Key: "reports/old-run/report.json" }).resolves({
      Body: body({ input: { name: "dataverse_files.zip" }, label_count: 24, document_count: 964000 }),
    });
    s3.on(GetObjectCommand, { Key: "reports/bad-run/rejected.json" }).resolves({
      Body: body({ run_id: "bad-run", reason: 'column "assignment_group" not found' }),
    });

    const result = await status(
      projectWith({ data: stubs.data, network: stubs.network, training: stubs.training }),
    );

    const runs = result.out.split("Dataset runs (2):\n")[1]?.split("\n").slice(0, 2);
    expect(runs).toEqual([
      '  bad-run  2026-11-01T00:00:00Z  rejected: column "assignment_group" not found',
      "  old-run  2026-10-01T00:00:00Z  dataverse_files.zip  24 labels, 964,000 documents, baseline macro-F1 81.2%, Comprehend macro-F1 87.1%",
    ]);
  });

  it("shows a scored run's coverage per label and its comparison with the served version, with the promotion command", async () => {
    // Prepare: the files scoring writes, made by the scoring code itself from answers on 4 documents.
    const answers = [
      { actual: "Network", predicted: "Network", score: 0.95 },
      { actual: "Network", predicted: "Network", score: 0.9 },
      { actual: "Desk", predicted: "Desk", score: 0.8 },
      { actual: "Access", predicted: "Desk", score: 0.85 },
    ];
    const next = modelScores(classifierArn("new-run"), answers, 0, 0.9);
    const served = modelScores(
      classifierArn("old-run"),
      answers.map((a) => ({ ...a, predicted: "Network" })),
      0,
      0.9,
    );
    const files: Record<string, unknown> = {
      "reports/new-run/report.json": { input: { name: "retraining" }, label_count: 3, document_count: 120 },
      "reports/new-run/routing.json": routingFile(next),
      "reports/new-run/comparison.json": compareModels(next, served),
    };
    s3.on(ListObjectsV2Command).resolves({
      Contents: Object.keys(files).map((Key) => ({ Key, LastModified: new Date("2026-12-04T00:00:00Z") })),
    });
    for (const [Key, json] of Object.entries(files))
      s3.on(GetObjectCommand, { Key }).resolves({ Body: body(json) });

    // Act
    const result = await status(
      projectWith({ data: stubs.data, network: stubs.network, training: stubs.training }),
    );

    // Assess
    const run = result.out.split("Dataset runs (1):\n")[1]?.split("\n").slice(0, 4);
    expect(run?.[1]).toBe(
      "    routes itself at 90.0% precision: 50.0% of 4 scored tickets; Network 100.0%; always to a person: Access, Desk",
    );
    expect(run?.[2]).toMatch(
      /^ {4}against the served version on 4 test documents: macro-F1 .* vs .*: better$/,
    );
    expect(run?.[3]).toBe(
      `    promote it: npm run deploy -- inference --classifier-arn ${classifierArn("new-run")}`,
    );
  });

  it("shows training in progress with its time and cost so far, and ignores other apps' classifiers", async () => {
    comprehend.on(ListDocumentClassifiersCommand).resolves({
      DocumentClassifierPropertiesList: [
        {
          DocumentClassifierArn: classifierArn("run-b"),
          Status: "TRAINING",
          SubmitTime: new Date("2026-11-30T09:00:00Z"),
          TrainingStartTime: new Date("2026-11-30T10:00:00Z"),
        },
        {
          ...trained("x", "2026-11-01T00:00:00Z", 0.5),
          DocumentClassifierArn: "arn:aws:comprehend:us-east-1:111122223333:document-classifier/other-app-x",
        },
      ],
    });

    const result = await status(
      projectWith({ data: stubs.data, network: stubs.network, training: stubs.training }),
    );

    expect(result.out).toContain("Classifiers (1):");
    expect(result.out).toContain("training for 2 h (about $6.00)");
    expect(result.out).toContain('Next: Wait for the "Training finished" email: run-b is training');
    expect(result.out).not.toContain("other-app");
  });

  it("offers to serve the newest trained classifier, with the endpoint's price, when none is served", async () => {
    comprehend.on(ListDocumentClassifiersCommand).resolves({
      DocumentClassifierPropertiesList: [
        trained("run-a", "2026-10-01T00:00:00Z", 0.81),
        trained("run-b", "2026-11-20T00:00:00Z", 0.88),
      ],
    });

    const result = await status(
      projectWith({ data: stubs.data, network: stubs.network, training: stubs.training }),
    );

    expect(result.out).toContain("accuracy 93.0%, macro F1 88.0%; trained in 3 h (about $9.00)");
    expect(result.out).toContain(
      `Next: Serve the newest classifier ($1.80 per inference unit per hour while it exists): npm run deploy -- inference --classifier-arn ${classifierArn("run-b")}`,
    );
  });

  it("shows the endpoint's status, model and units, and the command that moves it to a newer model", async () => {
    comprehend.on(ListDocumentClassifiersCommand).resolves({
      DocumentClassifierPropertiesList: [
        trained("run-a", "2026-10-01T00:00:00Z", 0.81),
        trained("run-b", "2026-11-20T00:00:00Z", 0.88),
      ],
    });
    comprehend.on(DescribeEndpointCommand).resolves({
      EndpointProperties: {
        Status: "IN_SERVICE",
        ModelArn: classifierArn("run-a"),
        CurrentInferenceUnits: 2,
        DesiredInferenceUnits: 2,
      },
    });
    const inference = { ...stubs.training, comprehend_endpoint_arn: ENDPOINT_ARN };

    const result = await status(
      projectWith({ data: stubs.data, network: stubs.network, training: stubs.training, inference }),
    );

    expect(comprehend.commandCalls(DescribeEndpointCommand)[0]?.args[0].input).toEqual({
      EndpointArn: ENDPOINT_ARN,
    });
    expect(result.out).toContain(`  IN_SERVICE  ${ENDPOINT_ARN}`);
    expect(result.out).toContain("  inference units: 2, about $3.60 an hour");
    expect(result.out).toContain(`${classifierArn("run-a")}  <- served by the endpoint`);
    expect(result.out).toContain(
      `to move the endpoint to it in place: npm run deploy -- inference --classifier-arn ${classifierArn("run-b")}`,
    );
  });

  it("shows the app's alarms in ALARM with their reason and troubleshooting link, and the dashboard's link", async () => {
    // Prepare: DescribeAlarms' documented MetricAlarm fields (CloudWatch API Reference, DescribeAlarms, MetricAlarm).
    const alarmName = `${PREFIX}--api-5xx`;
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        {
          AlarmName: alarmName,
          AlarmArn: `arn:aws:cloudwatch:us-east-1:111122223333:alarm:${alarmName}`,
          AlarmDescription:
            "The API answers with server errors (5XX) to a share of requests above the threshold. Threshold: 1% of requests over 10 of 15 minutes. What to do: docs/troubleshooting.md#the-api-answers-with-server-errors-5xx",
          StateValue: "ALARM",
          StateReason:
            "Threshold Crossed: 2 out of the last 3 datapoints [4.2 (30/11/26 05:50:00), 3.1 (30/11/26 05:45:00)] were greater than or equal to the threshold (1.0).",
          StateUpdatedTimestamp: new Date("2026-11-30T05:55:00Z"),
        },
      ],
    });
    const dashboard =
      "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/comprehend-itsr-classifier";
    const inference = { comprehend_endpoint_arn: ENDPOINT_ARN, dashboard_url: dashboard };
    comprehend.on(DescribeEndpointCommand).resolves({ EndpointProperties: { Status: "IN_SERVICE" } });

    // Act
    const result = await status(
      projectWith({ data: stubs.data, network: stubs.network, training: stubs.training, inference }),
    );

    // Assess: only this app's alarms (by the exact name prefix), only those in ALARM.
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input).toMatchObject({
      AlarmNamePrefix: `${PREFIX}--`,
      StateValue: "ALARM",
    });
    expect(result.out).toContain(
      `Alarms in ALARM (1):\n  ${alarmName}  since 2026-11-30T05:55:00Z\n    Threshold Crossed: 2 out of the last 3 datapoints`,
    );
    expect(result.out).toContain(
      "    what to do: docs/troubleshooting.md#the-api-answers-with-server-errors-5xx",
    );
    expect(result.out).toContain(`Dashboard: ${dashboard}`);
  });

  it("says a paused endpoint is paused until the next start of its active hours, not missing", async () => {
    // Prepare: Saturday; the pause schedule deleted the endpoint on Friday evening.
    comprehend.on(ListDocumentClassifiersCommand).resolves({
      DocumentClassifierPropertiesList: [trained("run-a", "2026-10-01T00:00:00Z", 0.81)],
    });
    comprehend
      .on(DescribeEndpointCommand)
      .rejects(new ResourceNotFoundException({ message: "Endpoint not found", $metadata: {} }));
    const inference = {
      comprehend_endpoint_arn: ENDPOINT_ARN,
      active_hours_json: JSON.stringify({
        days: "MON-FRI",
        start: "07:00",
        end: "19:00",
        time_zone: "Europe/Berlin",
      }),
    };

    // Act
    const result = await status(
      projectWith({ data: stubs.data, network: stubs.network, training: stubs.training, inference }),
      [],
      new Date("2026-12-05T10:00:00Z"),
    );

    // Assess
    expect(result.out).toContain(
      "Endpoint:\n  paused until 2026-12-07 07:00 Europe/Berlin (active hours MON-FRI 07:00-19:00 Europe/Berlin); the API answers 503 with Retry-After meanwhile",
    );
    expect(result.out).toContain(
      "Next: Nothing: the endpoint is paused outside its active hours and the resume schedule creates it at 2026-12-07 07:00 Europe/Berlin.",
    );
  });

  it("counts the tickets waiting in the review queue and the corrections stored, and names the command", async () => {
    // Prepare: ListObjectsV2's documented Contents, per prefix.
    s3.on(ListObjectsV2Command, { Prefix: "review/queue/" }).resolves({
      Contents: ["a", "b", "c"].map((id) => ({ Key: `review/queue/${id}.json` })),
    });
    s3.on(ListObjectsV2Command, { Prefix: "corrections/" }).resolves({
      Contents: [
        { Key: "corrections/2026-12-01/x.json" },
        { Key: "corrections/csv/closed-0123456789ab.jsonl" },
      ],
    });

    // Act
    const result = await status(
      projectWith({ data: stubs.data, network: stubs.network, training: stubs.training }),
    );

    // Assess
    expect(result.out).toContain(
      "Review queue: 3 ticket(s) waiting (answer them with npm run review); 2 correction file(s) stored for the next training set.",
    );
  });

  it("says no alarm is in ALARM when none is", async () => {
    const result = await status(
      projectWith({ data: stubs.data, network: stubs.network, training: stubs.training }),
    );
    expect(result.out).toContain("Alarms in ALARM (0):\n  none");
  });

  it("explains missing credentials instead of a stack trace", async () => {
    comprehend.on(ListDocumentClassifiersCommand).rejects(
      Object.assign(new Error("Could not load credentials from any providers"), {
        name: "CredentialsProviderError",
      }),
    );

    const result = await status(
      projectWith({ data: stubs.data, network: stubs.network, training: stubs.training }),
    );

    expect(result.code).toBe(2);
    expect(result.err).toContain(
      "No usable AWS credentials (CredentialsProviderError: Could not load credentials from any providers). Set AWS_PROFILE",
    );
  });

  it("answers --help and refuses a bad --runs", async () => {
    expect((await status(projectWith({}), ["--help"])).out).toContain("Usage: npm run status");
    expect((await status(projectWith({}), ["--runs", "0"])).code).toBe(2);
  });
});
