import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ClassifyDocumentCommand, ComprehendClient } from "@aws-sdk/client-comprehend";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { APIGatewayProxyEvent, Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import type { ReviewItem } from "../../../contract/review";
import { type ClassifyHandler, loadClassifyHandler, unsetClassifyEnv } from "../../fixtures/classify/handler";

const fixtures = join(__dirname, "../../fixtures/classify");
const post: APIGatewayProxyEvent = JSON.parse(readFileSync(join(fixtures, "api-gateway-post.json"), "utf8"));
const REQUEST_ID = post.requestContext.requestId;
const context = { awsRequestId: "lambda-1", functionName: "itsr-classify" } as unknown as Context;
const comprehend = mockClient(ComprehendClient);
const s3 = mockClient(S3Client);
let handler: ClassifyHandler;
const env = { REVIEW_THRESHOLD: "0.6", REVIEW_QUEUE_BUCKET: "itsr-data" };

beforeAll(async () => {
  handler = await loadClassifyHandler({
    ENDPOINT_ARN: "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/itsr-endpoint",
    ...env,
  });
});
afterAll(() => unsetClassifyEnv(env));
beforeEach(() => {
  comprehend.reset();
  s3.reset();
  jest.spyOn(process.stdout, "write").mockImplementation(() => true);
});
afterEach(() => jest.restoreAllMocks());

const unsure = {
  Classes: [
    { Name: "NETWORK", Score: 0.41 },
    { Name: "VPN", Score: 0.38 },
    { Name: "HARDWARE", Score: 0.21 },
  ],
};

describe("the review queue", () => {
  it("queues a low-score answer with its text, prediction, scores and threshold, and still answers 200", async () => {
    // Prepare
    comprehend.on(ClassifyDocumentCommand).resolves(unsure);
    s3.on(PutObjectCommand).resolves({});

    // Act
    const response = await handler(post, context);

    // Assess
    expect(response.statusCode).toBe(200);
    const puts = s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
    expect(puts).toHaveLength(1);
    expect(puts[0]).toMatchObject({ Bucket: "itsr-data", Key: `review/queue/${REQUEST_ID}.json` });
    const item = JSON.parse(String(puts[0]?.Body)) as ReviewItem;
    expect(item).toMatchObject({
      id: REQUEST_ID,
      text: JSON.parse(String(post.body)).Text,
      predicted_label: "NETWORK",
      score: 0.41,
      threshold: 0.6,
      source: "api",
      api_request_id: REQUEST_ID,
    });
    expect(item.scores.map((s) => s.label)).toEqual(["NETWORK", "VPN", "HARDWARE"]);
    expect(Number.isNaN(Date.parse(item.received_at))).toBe(false);
  });

  it("does not queue a confident answer", async () => {
    comprehend.on(ClassifyDocumentCommand).resolves({ Classes: [{ Name: "SPARK", Score: 0.97 }] });

    const response = await handler(post, context);

    expect(response.statusCode).toBe(200);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it("answers the caller even when the queue cannot be written", async () => {
    comprehend.on(ClassifyDocumentCommand).resolves(unsure);
    s3.on(PutObjectCommand).rejects(Object.assign(new Error("Access Denied"), { name: "AccessDenied" }));

    const response = await handler(post, context);

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body).body[0]).toEqual({ Name: "NETWORK", Score: 0.41 });
  });

  it("answers the sample's shape unchanged, and a decision beside it only when asked with ?decision=true", async () => {
    // Prepare
    comprehend.on(ClassifyDocumentCommand).resolves(unsure);
    s3.on(PutObjectCommand).resolves({});

    // Act
    const plain = JSON.parse((await handler(post, context)).body);
    const asked = JSON.parse(
      (await handler({ ...post, queryStringParameters: { decision: "true" } }, context)).body,
    );

    // Assess
    expect(Object.keys(plain)).toEqual(["statusCode", "body"]);
    expect(asked.body).toEqual(plain.body);
    expect(asked.decision).toEqual({
      label: "NETWORK",
      score: 0.41,
      action: "review",
      threshold: 0.6,
      threshold_source: "review_threshold",
    });
  });

  it("decides to route an answer at or above the threshold", async () => {
    comprehend.on(ClassifyDocumentCommand).resolves({ Classes: [{ Name: "SPARK", Score: 0.97 }] });

    const asked = JSON.parse(
      (await handler({ ...post, queryStringParameters: { decision: "1" } }, context)).body,
    );

    expect(asked.decision).toEqual({
      label: "SPARK",
      score: 0.97,
      action: "route",
      threshold: 0.6,
      threshold_source: "review_threshold",
    });
  });
});
