import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetObjectCommand, type GetObjectCommandOutput, NoSuchKey, S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import stubs from "../../review/upstream-stubs.json";
import { localStateSource } from "../../scripts/lib/state";
import { main, type StartDeps } from "../../scripts/start-training";

const s3 = mockClient(S3Client);
const sns = mockClient(SNSClient);
const RUN = "tickets-0123456789ab";

function project(deployed: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), "start-training-"));
  if (deployed) {
    const outputs = Object.fromEntries(Object.entries(stubs.training).map(([k, value]) => [k, { value }]));
    writeFileSync(join(dir, "terraform.training.tfstate"), JSON.stringify({ version: 4, outputs }));
  }
  return dir;
}

async function run(dir: string, argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const deps: StartDeps = {
    state: localStateSource(dir),
    s3: (region) => new S3Client({ region }),
    sns: (region) => new SNSClient({ region }),
  };
  const code = await main(
    argv,
    deps,
    (t) => out.push(t),
    (t) => err.push(t),
  );
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const report = {
  run_id: RUN,
  source: {
    bucket: stubs.training.s3_bucket_name,
    key: "raw_data/tickets.csv",
    version_id: "v1",
    etag: null,
  },
  label_counts: { A: 60, B: 55 },
  label_count: 2,
  document_count: 115,
  left_out_labels: [],
  dropped: { empty: 0, no_label: 0, null_text: 0, left_out_label_documents: 0 },
  cut: { documents: 0, max_doc_bytes: 10000 },
  ignored_entries: [],
  warnings: [],
  settings: { min_docs_per_label: 50, max_doc_bytes: 10000 },
  output: { files: [], bytes: 1234, decompressed_bytes: 1234 },
};

beforeEach(() => {
  s3.reset();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: "m1" });
});

describe("npm run start-training", () => {
  it("announces a finished run's training data as the ETL does, so the train function starts it", async () => {
    s3.on(GetObjectCommand, { Key: `reports/${RUN}/report.json` }).resolves({
      Body: {
        transformToString: async () => JSON.stringify(report),
      } as unknown as GetObjectCommandOutput["Body"],
    });

    const result = await run(project(true), ["--run", RUN]);

    expect(result.code).toBe(0);
    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.TopicArn).toBe(stubs.training.sns_topic_arn);
    expect(input?.MessageAttributes?.event_type?.StringValue).toBe("etl_completed");
    const detail = JSON.parse(JSON.parse(input?.Message as string).lambda);
    expect(detail).toMatchObject({
      event_type: "etl_completed",
      run_id: RUN,
      training_data_uri: `s3://${stubs.training.s3_bucket_name}/prepped_data/${RUN}/`,
      label_counts: { A: 60, B: 55 },
    });
    expect(input?.Subject).toMatch(/^Training started by hand: /);
  });

  it("names a run without a report instead of starting anything", async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: "no", $metadata: {} }));

    const result = await run(project(true), ["--run", RUN]);

    expect(result.code).toBe(1);
    expect(result.err).toContain(
      `run ${RUN} has no report at s3://${stubs.training.s3_bucket_name}/reports/${RUN}/report.json`,
    );
    expect(sns.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it("says what to deploy first, and checks its arguments", async () => {
    expect((await run(project(false), ["--run", RUN])).err).toContain("the training stack is not deployed");
    expect((await run(project(true), ["--run", "Bad Id"])).code).toBe(2);
    expect((await run(project(true), ["--help"])).out).toContain("Usage: npm run start-training");
  });
});
