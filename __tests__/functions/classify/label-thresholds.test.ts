import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ClassifyDocumentCommand, ComprehendClient } from "@aws-sdk/client-comprehend";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { APIGatewayProxyEvent, Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import type { RoutingThresholds } from "../../../contract/scoring";
import { type ClassifyHandler, loadClassifyHandler, unsetClassifyEnv } from "../../fixtures/classify/handler";
import { memoryBucket } from "../../fixtures/s3/bucket";

const fixtures = join(__dirname, "../../fixtures/classify");
const post: APIGatewayProxyEvent = JSON.parse(readFileSync(join(fixtures, "api-gateway-post.json"), "utf8"));
const context = { awsRequestId: "lambda-1", functionName: "itsr-classify" } as unknown as Context;
const comprehend = mockClient(ComprehendClient);
const bucket = memoryBucket();
const RUN = "retrain-20261204-220000-0123456789ab";
const SERVED = `arn:aws:comprehend:us-east-1:111122223333:document-classifier/itsr--tickets-0a1b2c3d4e5f/version/${RUN}`;
let handler: ClassifyHandler;

/** What scoring the served model wrote (functions/batch/scoring.ts): NETWORK routes from 0.75, VPN never. */
const routing: RoutingThresholds = {
  classifier_arn: SERVED,
  target_precision: 0.9,
  sample_documents: 5000,
  coverage: 0.62,
  labels: {
    NETWORK: { threshold: 0.75, coverage: 0.7, answers: 1200 },
    VPN: { threshold: null, coverage: 0, answers: 40 },
  },
};

const env = {
  REVIEW_THRESHOLD: "0.5",
  REVIEW_QUEUE_BUCKET: "itsr-data",
  DATA_BUCKET: "itsr-data",
  REPORTS_PREFIX: "reports/",
  NAME_PREFIX: "itsr",
  CLASSIFIER_ARN: SERVED,
};

beforeAll(async () => {
  handler = await loadClassifyHandler({
    ENDPOINT_ARN: "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/itsr-endpoint",
    ...env,
  });
});
afterAll(() => unsetClassifyEnv(env));
beforeEach(() => {
  comprehend.reset();
  bucket.reset();
  bucket.put(`reports/${RUN}/routing.json`, JSON.stringify(routing));
  jest.spyOn(process.stdout, "write").mockImplementation(() => true);
});
afterEach(() => jest.restoreAllMocks());

async function decide(top: string, score: number) {
  comprehend.on(ClassifyDocumentCommand).resolves({ Classes: [{ Name: top, Score: score }] });
  const response = await handler({ ...post, queryStringParameters: { decision: "true" } }, context);
  return JSON.parse(response.body).decision;
}

describe("routing by the served model's own thresholds", () => {
  it("routes an answer from its label's threshold, not review_threshold, and queues one below it", async () => {
    // Act
    const sure = await decide("NETWORK", 0.8);
    const unsure = await decide("NETWORK", 0.7);

    // Assess
    expect(sure).toEqual({
      label: "NETWORK",
      score: 0.8,
      action: "route",
      threshold: 0.75,
      threshold_source: "label",
    });
    expect(unsure).toMatchObject({ action: "review", threshold: 0.75, threshold_source: "label" });
    const queued = bucket.s3
      .commandCalls(PutObjectCommand)
      .map((call) => JSON.parse(String(call.args[0].input.Body)));
    expect(queued).toEqual([
      expect.objectContaining({ predicted_label: "NETWORK", score: 0.7, threshold: 0.75 }),
    ]);
  });

  it("sends every answer of a label that never reaches the precision to a person, and falls back for a label it did not score", async () => {
    const never = await decide("VPN", 0.99);
    const unscored = await decide("LICENCES", 0.6);

    expect(never).toEqual({
      label: "VPN",
      score: 0.99,
      action: "review",
      threshold: null,
      threshold_source: "label",
    });
    expect(unscored).toEqual({
      label: "LICENCES",
      score: 0.6,
      action: "route",
      threshold: 0.5,
      threshold_source: "review_threshold",
    });
  });
});
