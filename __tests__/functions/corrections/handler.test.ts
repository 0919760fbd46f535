import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import type { APIGatewayProxyEvent, Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import type { Correction, ReviewItem } from "../../../contract/review";
import { parseCorrectionRequest } from "../../../functions/corrections/core";
import { emfProblems } from "../../fixtures/metrics/embedded-metric-format";

const RUN = "tickets-export-3fa9c2d41b7e";
const base: APIGatewayProxyEvent = {
  ...JSON.parse(readFileSync(join(__dirname, "../../fixtures/classify/api-gateway-post.json"), "utf8")),
  resource: "/corrections",
  path: "/corrections",
};
const context = { awsRequestId: "lambda-1", functionName: "itsr-corrections" } as unknown as Context;
const s3 = mockClient(S3Client);
const body = (json: unknown) =>
  ({ transformToString: async () => JSON.stringify(json) }) as unknown as GetObjectCommandOutput["Body"];
const queued: ReviewItem = {
  id: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
  text: "VPN drops every ten minutes",
  predicted_label: "HARDWARE",
  score: 0.41,
  scores: [{ label: "HARDWARE", score: 0.41 }],
  threshold: 0.5,
  received_at: "2026-12-01T09:00:00.000Z",
  source: "api",
};
let handler: (event: APIGatewayProxyEvent, context: Context) => Promise<{ statusCode: number; body: string }>;
let written: string[];

beforeAll(async () => {
  process.env.DATA_BUCKET = "itsr-data";
  process.env.REPORTS_PREFIX = "reports/";
  process.env.CLASSIFIER_ARN = `arn:aws:comprehend:us-east-1:111122223333:document-classifier/itsr--${RUN}`;
  process.env.NAME_PREFIX = "itsr";
  process.env.POWERTOOLS_METRICS_NAMESPACE = "itsr/classifier";
  process.env.POWERTOOLS_SERVICE_NAME = "corrections";
  ({ handler } = await import("../../../functions/corrections/handler"));
});
beforeEach(() => {
  s3.reset();
  s3.on(GetObjectCommand, { Key: `reports/${RUN}/report.json` }).resolves({
    Body: body({ label_counts: { HARDWARE: 400, NETWORK: 300 } }),
  });
  s3.on(PutObjectCommand).resolves({});
  s3.on(DeleteObjectCommand).resolves({});
  written = [];
  jest.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
});
afterEach(() => jest.restoreAllMocks());

const send = (json: unknown) =>
  handler({ ...base, body: typeof json === "string" ? json : JSON.stringify(json) }, context);
const stored = () =>
  s3.commandCalls(PutObjectCommand).map((call) => ({
    key: call.args[0].input.Key,
    correction: JSON.parse(String(call.args[0].input.Body)) as Correction,
  }));

describe("POST /corrections", () => {
  it("stores a text with the label an agent gave it, and says whether the model knows the label", async () => {
    // Act
    const response = await send({ Text: "printer on floor 3 jams", Label: " NETWORK " });

    // Assess
    expect(response.statusCode).toBe(201);
    const answer = JSON.parse(response.body);
    expect(answer).toMatchObject({ statusCode: 201, Label: "NETWORK", NewLabel: false });
    const [{ key, correction } = { key: "", correction: {} as Correction }] = stored();
    expect(key).toMatch(new RegExp(`^corrections/\\d{4}-\\d{2}-\\d{2}/${answer.CorrectionId}\\.json$`));
    expect(correction).toMatchObject({
      text: "printer on floor 3 jams",
      label: "NETWORK",
      source: "api",
      new_label: false,
    });
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(0);
  });

  it("accepts a label the served model was not trained on, flagged and counted", async () => {
    const response = await send({ Text: "new badge reader in lobby", Label: "Facilities" });

    expect(JSON.parse(response.body).NewLabel).toBe(true);
    expect(stored()[0]?.correction.new_label).toBe(true);
    const metrics = written
      .flatMap((chunk) => chunk.split("\n"))
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(metrics).toHaveLength(1);
    expect(emfProblems(metrics[0] as Record<string, unknown>)).toEqual([]);
    expect(metrics[0]).toMatchObject({ Corrections: 1, NewLabelCorrections: 1 });
  });

  it("answers a queued ticket by its id: the correction keeps the prediction and the ticket leaves the queue", async () => {
    s3.on(GetObjectCommand, { Key: `review/queue/${queued.id}.json` }).resolves({ Body: body(queued) });

    const response = await send({ ReviewId: queued.id, Label: "NETWORK" });

    expect(response.statusCode).toBe(201);
    expect(JSON.parse(response.body)).toMatchObject({ ReviewId: queued.id, PredictedLabel: "HARDWARE" });
    expect(stored()[0]?.correction).toMatchObject({
      text: queued.text,
      label: "NETWORK",
      review_id: queued.id,
      predicted_label: "HARDWARE",
    });
    expect(s3.commandCalls(DeleteObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: "itsr-data",
      Key: `review/queue/${queued.id}.json`,
    });
  });

  it("says 404 for a queued ticket that is gone, and stores nothing", async () => {
    s3.on(GetObjectCommand, { Key: "review/queue/gone-1.json" }).rejects(
      new NoSuchKey({ message: "The specified key does not exist.", $metadata: {} }),
    );

    const response = await send({ ReviewId: "gone-1", Label: "NETWORK" });

    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body).error).toContain("answered already or has expired");
    expect(stored()).toEqual([]);
  });

  it.each([
    ["no body", "", "Request body is empty"],
    ["not JSON", "{Text:", "Request body is not valid JSON"],
    ["an array", [], "must be a JSON object"],
    ["no label", { Text: "x" }, '"Label" must be a string, got nothing'],
    ["an empty label", { Text: "x", Label: "  " }, '"Label" is empty'],
    ["a label with a line break", { Text: "x", Label: "A\nB" }, "without line breaks"],
    ["both Text and ReviewId", { Text: "x", ReviewId: "a", Label: "A" }, "not both"],
    ["neither Text nor ReviewId", { Label: "A" }, "not neither"],
    ["an unknown field", { Text: "x", Label: "A", Lable: "B" }, 'Unknown field(s) "Lable"'],
    ["a review id that is a path", { ReviewId: "../reports/x", Label: "A" }, '"ReviewId" must be the id'],
    ["an empty text", { Text: " ", Label: "A" }, '"Text" is empty'],
  ])("refuses %s with 400 and stores nothing", async (_, json, words) => {
    const response = await send(json);

    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).error).toContain(words);
    expect(stored()).toEqual([]);
  });
});

describe("the correction body's parser", () => {
  it("reads a base64-encoded body as API Gateway passes binary ones", () => {
    const encoded = Buffer.from(JSON.stringify({ Text: "disk full", Label: "Storage" })).toString("base64");
    expect(parseCorrectionRequest(encoded, true)).toEqual({
      kind: "text",
      text: "disk full",
      label: "Storage",
    });
  });
});
