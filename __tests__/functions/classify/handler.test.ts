import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ClassifyDocumentCommand,
  ComprehendClient,
  InternalServerException,
  ResourceUnavailableException,
  TooManyRequestsException,
} from "@aws-sdk/client-comprehend";
import type { APIGatewayProxyEvent, Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { type ClassifyHandler, loadClassifyHandler } from "../../fixtures/classify/handler";
import { DOCUMENTED_EXAMPLE, emfProblems } from "../../fixtures/metrics/embedded-metric-format";

const ENDPOINT_ARN = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/itsr-classifier";
const fixtures = join(__dirname, "../../fixtures/classify");
const baseEvent: APIGatewayProxyEvent = JSON.parse(
  readFileSync(join(fixtures, "api-gateway-post.json"), "utf8"),
);
const classifierAnswer = JSON.parse(readFileSync(join(fixtures, "classify-document-response.json"), "utf8"));

const context = {
  awsRequestId: "0f4c5a1e-lambda",
  functionName: "itsr-classify",
  functionVersion: "$LATEST",
  invokedFunctionArn: "arn:aws:lambda:us-east-1:111122223333:function:itsr-classify",
  memoryLimitInMB: "256",
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

const comprehend = mockClient(ComprehendClient);
let handler: ClassifyHandler;

beforeAll(async () => {
  handler = await loadClassifyHandler({ ENDPOINT_ARN });
});

beforeEach(() => comprehend.reset());

const post = (body: string | null, overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent => ({
  ...baseEvent,
  body,
  ...overrides,
});

describe("classify handler", () => {
  it("answers 200 with the sample's envelope and classes sorted from the highest score", async () => {
    // Prepare
    comprehend.on(ClassifyDocumentCommand).resolves(classifierAnswer);

    // Act
    const response = await handler(baseEvent, context);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers["Content-Type"]).toBe("application/json");
    expect(JSON.parse(response.body)).toEqual({
      statusCode: 200,
      body: [
        { Name: "SPARK", Score: 0.9912 },
        { Name: "DATABASE", Score: 0.0057 },
        { Name: "HADOOP", Score: 0.0031 },
      ],
    });
    expect(comprehend).toHaveReceivedCommandWith(ClassifyDocumentCommand, {
      EndpointArn: ENDPOINT_ARN,
      Text: "Spark job fails with OutOfMemoryError on the nightly cluster",
    });
  });

  it("answers a multi-label classifier's Labels the same way", async () => {
    // Prepare
    comprehend.on(ClassifyDocumentCommand).resolves({
      Labels: [
        { Name: "NETWORK", Score: 0.4 },
        { Name: "VPN", Score: 0.93 },
      ],
    });

    // Act
    const response = await handler(post('{"Text": "VPN and network both down"}'), context);

    // Assess
    expect(JSON.parse(response.body).body).toEqual([
      { Name: "VPN", Score: 0.93 },
      { Name: "NETWORK", Score: 0.4 },
    ]);
  });

  it("classifies a base64-encoded body", async () => {
    // Prepare
    comprehend.on(ClassifyDocumentCommand).resolves(classifierAnswer);
    const body = Buffer.from(JSON.stringify({ Text: "Hive query hangs" })).toString("base64");

    // Act
    const response = await handler(post(body, { isBase64Encoded: true }), context);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(comprehend).toHaveReceivedCommandWith(ClassifyDocumentCommand, { Text: "Hive query hangs" });
  });

  it("sends at most 10,000 bytes cut before an emoji and says the answer is truncated", async () => {
    // Prepare
    comprehend.on(ClassifyDocumentCommand).resolves(classifierAnswer);
    const text = `${"x".repeat(9_998)}🚀 launch failed`;

    // Act
    const response = await handler(post(JSON.stringify({ Text: text })), context);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ statusCode: 200, truncated: true });
    expect(comprehend).toHaveReceivedCommandWith(ClassifyDocumentCommand, { Text: "x".repeat(9_998) });
  });

  it("cuts accented text at a character boundary", async () => {
    // Prepare: 5,000 two-byte "é" are exactly 10,000 bytes; the rest must go
    comprehend.on(ClassifyDocumentCommand).resolves(classifierAnswer);
    const text = `${"é".repeat(5_000)}ü`;

    // Act
    const response = await handler(post(JSON.stringify({ Text: text })), context);

    // Assess
    expect(JSON.parse(response.body).truncated).toBe(true);
    expect(comprehend).toHaveReceivedCommandWith(ClassifyDocumentCommand, { Text: "é".repeat(5_000) });
  });

  it.each([
    ["malformed JSON", '{"Text": "unterminated', "Request body is not valid JSON"],
    ["a missing Text", '{"Body": "wrong key"}', 'Request body has no "Text" field'],
    ["an empty Text", '{"Text": ""}', '"Text" is empty'],
    ["a non-string Text", '{"Text": ["a", "b"]}', '"Text" must be a string, got an array'],
    ["no body at all", null, "Request body is empty"],
  ])("answers 400 for %s without calling Comprehend", async (_case, body, message) => {
    // Act
    const response = await handler(post(body), context);

    // Assess
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ statusCode: 400, error: expect.stringContaining(message) });
    expect(comprehend).not.toHaveReceivedCommand(ClassifyDocumentCommand);
  });

  it("answers 400 for a base64 body that does not decode to JSON", async () => {
    // Act
    const response = await handler(
      post(Buffer.from("Text=hello").toString("base64"), { isBase64Encoded: true }),
      context,
    );

    // Assess
    expect(response.statusCode).toBe(400);
  });

  it("answers 503 with Retry-After while the endpoint is not in service", async () => {
    // Prepare
    comprehend
      .on(ClassifyDocumentCommand)
      .rejects(new ResourceUnavailableException({ message: "Endpoint is not ready", $metadata: {} }));

    // Act
    const response = await handler(baseEvent, context);

    // Assess
    expect(response.statusCode).toBe(503);
    expect(response.headers["Retry-After"]).toBe("60");
    expect(JSON.parse(response.body)).toEqual({
      statusCode: 503,
      error: "The classifier endpoint is not in service yet; retry later",
    });
  });

  it("answers 429 when Comprehend still throttles after the SDK's retries", async () => {
    // Prepare
    comprehend
      .on(ClassifyDocumentCommand)
      .rejects(new TooManyRequestsException({ message: "Rate exceeded", $metadata: { attempts: 3 } }));

    // Act
    const response = await handler(baseEvent, context);

    // Assess
    expect(response.statusCode).toBe(429);
    expect(JSON.parse(response.body).statusCode).toBe(429);
  });

  it("answers 502 without revealing the upstream error", async () => {
    // Prepare
    comprehend
      .on(ClassifyDocumentCommand)
      .rejects(new InternalServerException({ message: "shard 7 of cluster xyz exploded", $metadata: {} }));

    // Act
    const response = await handler(baseEvent, context);

    // Assess
    expect(response.statusCode).toBe(502);
    expect(response.body).not.toContain("shard 7");
    expect(JSON.parse(response.body)).toEqual({
      statusCode: 502,
      error: "Classification failed upstream; retry later",
    });
  });

  it("answers 502 for an error that is not from Comprehend at all", async () => {
    // Prepare
    comprehend.on(ClassifyDocumentCommand).rejects(new Error("getaddrinfo ENOTFOUND comprehend.us-east-1"));

    // Act
    const response = await handler(baseEvent, context);

    // Assess
    expect(response.statusCode).toBe(502);
    expect(response.body).not.toContain("ENOTFOUND");
  });

  it("answers 405 to a method other than POST", async () => {
    // Act
    const response = await handler(post(null, { httpMethod: "GET" }), context);

    // Assess
    expect(response.statusCode).toBe(405);
    expect(response.headers.Allow).toBe("POST");
  });
});

describe("classify handler configuration", () => {
  it("fails at cold start when ENDPOINT_ARN is missing", () => {
    // Prepare
    const saved = process.env.ENDPOINT_ARN;
    delete process.env.ENDPOINT_ARN;

    // Act
    const load = () => jest.isolateModules(() => require("../../../functions/classify/handler"));

    // Assess
    try {
      expect(load).toThrow("Missing required environment variable(s): ENDPOINT_ARN");
    } finally {
      process.env.ENDPOINT_ARN = saved;
    }
  });
});

describe("the classify function's metrics", () => {
  /** What the function writes to standard output during one call, parsed where it is JSON. */
  async function emfLinesOf(event: APIGatewayProxyEvent): Promise<Record<string, unknown>[]> {
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    try {
      await handler(event, context);
    } finally {
      spy.mockRestore();
    }
    return written
      .flatMap((chunk) => chunk.split("\n"))
      .filter((line) => line.trim().startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((document) => "_aws" in document);
  }

  it("checks documents against the specification's own example first", () => {
    expect(emfProblems(DOCUMENTED_EXAMPLE)).toEqual([]);
    expect(
      emfProblems({
        _aws: {
          Timestamp: 1,
          CloudWatchMetrics: [{ Namespace: "n", Dimensions: [["d"]], Metrics: [{ Name: "m" }] }],
        },
      }),
    ).toEqual([
      "dimension d is not a string member of the root",
      "metric m has no numeric value in the root",
    ]);
  });

  it("writes the answer, its low-confidence flag and its label in the embedded metric format, without the ticket's text", async () => {
    // Prepare: the top class scores below the review threshold.
    comprehend.on(ClassifyDocumentCommand).resolves({
      Classes: [
        { Name: "HIVE", Score: 0.42 },
        { Name: "SPARK", Score: 0.38 },
      ],
    });
    const text = "Hive query hangs on the ORC table of team Zeta";

    // Act
    const documents = await emfLinesOf(post(JSON.stringify({ Text: text })));

    // Assess
    expect(documents.length).toBeGreaterThan(0);
    for (const document of documents) expect(emfProblems(document)).toEqual([]);
    const byMetric = Object.fromEntries(
      documents.flatMap((document) =>
        (
          document._aws as {
            CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
          }
        ).CloudWatchMetrics.flatMap((directive) =>
          directive.Metrics.map((metric) => [
            metric.Name,
            { directive, value: document[metric.Name], document },
          ]),
        ),
      ),
    );
    expect(byMetric.Answers?.value).toBe(1);
    expect(byMetric.LowConfidenceAnswers?.value).toBe(1);
    expect(byMetric.AnswersByLabel?.value).toBe(1);
    expect(byMetric.AnswersByLabel?.document.label).toBe("HIVE");
    expect(byMetric.AnswersByLabel?.directive.Dimensions).toEqual([["service", "label"]]);
    expect(byMetric.Answers?.directive.Namespace).toBe("itsr/classifier");
    const everything = JSON.stringify(documents);
    for (const word of ["Zeta", "ORC", "hangs"]) expect(everything).not.toContain(word);
  });

  it("counts a confident answer as not low-confidence, and writes nothing for a refused request", async () => {
    comprehend.on(ClassifyDocumentCommand).resolves(classifierAnswer);

    const confident = await emfLinesOf(baseEvent);
    const refused = await emfLinesOf(post(null));

    const low = confident.find((document) => "LowConfidenceAnswers" in document);
    expect(low?.LowConfidenceAnswers).toBe(0);
    expect(refused).toEqual([]);
  });
});
