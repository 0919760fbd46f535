import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import stubs from "../../review/upstream-stubs.json";
import { localStateSource } from "../../scripts/lib/state";
import { main } from "../../scripts/retrain";
import { memoryBucket } from "../fixtures/s3/bucket";

const bucket = memoryBucket();
const SERVED = stubs.variables.document_classifier_arn;
const OTHER = SERVED.replace(/version\/[^/]+$/, "version/retrain-20261201-080000-0123456789ab");

/** A project directory whose local state has the stacks named, with the outputs the stacks declare. */
function project(stacks: Record<string, Record<string, unknown>>): string {
  const dir = mkdtempSync(join(tmpdir(), "retrain-"));
  for (const [stack, values] of Object.entries(stacks)) {
    const outputs = Object.fromEntries(Object.entries(values).map(([k, value]) => [k, { value }]));
    writeFileSync(join(dir, `terraform.${stack}.tfstate`), JSON.stringify({ version: 4, outputs }));
  }
  return dir;
}

async function run(dir: string, argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    argv,
    {
      state: localStateSource(dir),
      s3: (region) => new S3Client({ region }),
      now: () => new Date("2026-12-04T22:00:00Z"),
    },
    (t) => out.push(t),
    (t) => err.push(t),
  );
  return { code, out: out.join("\n"), err: err.join("\n") };
}

beforeEach(() => {
  bucket.reset();
});

describe("npm run retrain", () => {
  it("asks for the next version of the model the inference stack serves", async () => {
    // Prepare
    const dir = project({ training: stubs.training, inference: { served_classifier_arn: SERVED } });

    // Act
    const result = await run(dir, []);

    // Assess
    expect(result).toMatchObject({ code: 0, err: "" });
    const key = "retrain_input/retrain-20261204-220000.json";
    expect(JSON.parse(bucket.text(key) ?? "{}")).toEqual({
      served_classifier_arn: SERVED,
      requested_at: "2026-12-04T22:00:00.000Z",
      requested_by: "operator",
    });
    expect(result.out).toContain(
      `Asked for the next version of ${SERVED}: s3://${stubs.training.s3_bucket_name}/${key}.`,
    );
  });

  it("builds on the version named, and refuses what is not a classifier ARN with usage", async () => {
    const dir = project({ training: stubs.training });

    const named = await run(dir, ["--classifier-arn", OTHER]);
    const wrong = await run(dir, ["--classifier-arn", "itsr--tickets"]);

    expect(named.code).toBe(0);
    expect(
      JSON.parse(bucket.text("retrain_input/retrain-20261204-220000.json") ?? "{}").served_classifier_arn,
    ).toBe(OTHER);
    expect(wrong.code).toBe(2);
    expect(wrong.err.split("\n")[0]).toBe(
      'error: --classifier-arn needs a document classifier ARN, got "itsr--tickets"',
    );
  });

  it("says what to do when nothing is served yet or the pipeline is not deployed", async () => {
    const untrained = await run(project({ training: stubs.training }), []);
    const bare = await run(project({}), []);

    expect(untrained).toMatchObject({ code: 1 });
    expect(untrained.err).toBe(
      "error: no model is served yet (the inference stack is not deployed): name the one to build on with --classifier-arn <arn>",
    );
    expect(bare.err).toBe(
      "error: the training stack is not deployed: npm run deploy -- data network training",
    );
    expect(bucket.objects.size).toBe(0);
  });
});
