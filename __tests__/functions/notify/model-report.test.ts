import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { s3Comparison } from "../../../functions/notify/compare";
import {
  comprehendEvaluation,
  ModelOutputError,
  readComprehendConfusion,
} from "../../../functions/notify/model-report";
import { trainingFinishedEvent } from "../../../functions/notify/report";
import { ARN, classifier, NAME, RUN_ID } from "../../fixtures/notify/classifiers";
import {
  COMPREHEND_LABELS,
  COMPREHEND_MATRIX,
  comprehendOutput,
  outputArchive,
} from "../../fixtures/notify/comprehend-output";

const s3 = mockClient(S3Client);
const body = (bytes: Uint8Array) =>
  ({ transformToByteArray: async () => bytes }) as unknown as GetObjectCommandOutput["Body"];

beforeEach(() => s3.reset());

describe("Comprehend's training output", () => {
  it("yields the confusion matrix and its labels from output.tar.gz", async () => {
    expect(await readComprehendConfusion(await comprehendOutput())).toEqual({
      labels: COMPREHEND_LABELS,
      matrix: COMPREHEND_MATRIX,
    });
  });

  it("computes the same figures as the baseline's from the matrix (rows actual)", async () => {
    const evaluation = comprehendEvaluation(await readComprehendConfusion(await comprehendOutput()), ARN);

    // SPARK: tp 90, predicted 95, support 100; HIVE: tp 40, predicted 58, support 50; FLINK: tp 40, predicted 47, support 50
    expect(evaluation.metrics.accuracy).toBeCloseTo(170 / 200);
    expect(evaluation.metrics.labels[1]).toMatchObject({
      label: "HIVE",
      precision: 40 / 58,
      recall: 0.8,
      support: 50,
    });
    expect(evaluation.mostConfused[0]).toMatchObject({ actual: "FLINK", predicted: "HIVE", count: 10 });
    expect(evaluation.documents).toBe(200);
  });

  it.each([
    ["not gzip", async () => Buffer.from("plain")],
    ["no matrix", () => outputArchive({ "output/readme.txt": "x" })],
    [
      "not square",
      () =>
        outputArchive({
          "confusion_matrix.json": JSON.stringify({ labels: ["a", "b"], confusion_matrix: [[1]] }),
        }),
    ],
  ])("refuses an archive with %s, naming what is wrong", async (_, make) => {
    await expect(readComprehendConfusion(await make())).rejects.toThrow(ModelOutputError);
  });
});

describe("the side-by-side report", () => {
  const config = {
    topicArn: "arn:aws:sns:us-east-1:111122223333:t",
    namePrefix: "itsr",
    outputPrefix: "output_data/",
    reportsPrefix: "reports/",
    pricePerHour: 3,
    partition: "aws",
    region: "us-east-1",
  };
  const outputKey = `output_data/${RUN_ID}/111122223333-CLR-abc/output/output.tar.gz`;

  it("writes Comprehend's report beside the baseline's and returns both macro-F1s", async () => {
    s3.on(GetObjectCommand, { Key: outputKey }).resolves({ Body: body(await comprehendOutput()) });
    s3.on(GetObjectCommand, { Key: `reports/${RUN_ID}/evaluation.json` }).resolves({
      Body: body(Buffer.from(JSON.stringify({ metrics: { macroF1: 0.71, accuracy: 0.8 } }))),
    });
    s3.on(PutObjectCommand).resolves({});
    const notes: (string | undefined)[] = [];

    const comparison = await s3Comparison(new S3Client({}), config, async (_evaluation, _title, note) => {
      notes.push(note);
      return { html: "<html></html>" };
    })("bucket", outputKey, RUN_ID, ARN);

    expect(comparison).toEqual({
      // F1 per label: SPARK 2*(90/95)*0.9/((90/95)+0.9), HIVE 2*(40/58)*0.8/((40/58)+0.8), FLINK 2*(40/47)*0.8/((40/47)+0.8)
      comprehend_macro_f1: expect.closeTo((0.923077 + 0.740741 + 0.824742) / 3, 5),
      comprehend_accuracy: 0.85,
      baseline_macro_f1: 0.71,
      page_uri: `s3://bucket/reports/${RUN_ID}/comprehend-evaluation.html`,
    });
    expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key)).toEqual([
      `reports/${RUN_ID}/comprehend-evaluation.json`,
      `reports/${RUN_ID}/comprehend-evaluation.html`,
    ]);
    expect(notes[0]).toContain(
      "Local baseline before training (evaluation.html beside this page): macro-F1 71.0%",
    );
  });

  it("says so when no baseline ran for the run", async () => {
    s3.on(GetObjectCommand, { Key: outputKey }).resolves({ Body: body(await comprehendOutput()) });
    s3.on(GetObjectCommand, { Key: `reports/${RUN_ID}/evaluation.json` }).rejects(
      new NoSuchKey({ message: "no", $metadata: {} }),
    );
    s3.on(PutObjectCommand).resolves({});

    const comparison = await s3Comparison(new S3Client({}), config, async () => ({ html: "" }))(
      "bucket",
      outputKey,
      RUN_ID,
      ARN,
    );

    expect(comparison.baseline_macro_f1).toBeNull();
  });

  it("puts both macro-F1s and the page in the training-finished email", () => {
    const { text, detail } = trainingFinishedEvent({
      runId: RUN_ID,
      name: NAME,
      arn: ARN,
      pricePerHour: 3,
      reportsPrefix: "reports/",
      properties: classifier(),
      comparison: {
        comprehend_macro_f1: 0.84,
        comprehend_accuracy: 0.85,
        baseline_macro_f1: 0.71,
        page_uri: "s3://b/p.html",
      },
    });

    expect(text).toContain(
      "Comprehend's macro-F1 on its test documents: 84.0%; the local baseline's before training: 71.0%.",
    );
    expect(text).toContain("Both models side by side (per-label table, confusion matrix): s3://b/p.html");
    expect(detail).toMatchObject({ comparison: { baseline_macro_f1: 0.71 } });
  });
});
