import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ComprehendClient,
  CreateEndpointCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-comprehend";
import type { Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { handler } from "../../../functions/endpoint/handler";

const fixture = (name: string) =>
  JSON.parse(readFileSync(join(__dirname, "../../fixtures/endpoint", name), "utf8")) as Record<
    string,
    unknown
  >;

const ARN = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/itsr-classifier";
const MODEL_V1 = "arn:aws:comprehend:us-east-1:111122223333:document-classifier/itsr--classifier/version/v1";
const context = {
  awsRequestId: "5e1d-lifecycle",
  functionName: "itsr-endpoint-lifecycle",
  functionVersion: "$LATEST",
  invokedFunctionArn: "arn:aws:lambda:us-east-1:111122223333:function:itsr-endpoint-lifecycle",
  memoryLimitInMB: "256",
  getRemainingTimeInMillis: () => 900_000,
} as unknown as Context;

const comprehend = mockClient(ComprehendClient);
beforeEach(() => comprehend.reset());

describe("endpoint lifecycle handler", () => {
  it("returns the endpoint as the JSON object Terraform stores in the invocation's result", async () => {
    // Prepare
    comprehend.on(CreateEndpointCommand).resolves({ EndpointArn: ARN });
    comprehend.on(DescribeEndpointCommand).resolves({
      EndpointProperties: {
        EndpointArn: ARN,
        Status: "IN_SERVICE",
        ModelArn: MODEL_V1,
        DesiredInferenceUnits: 1,
        CurrentInferenceUnits: 1,
      },
    });

    // Act
    const result = await handler(fixture("create.json"), context);

    // Assess
    expect(JSON.parse(JSON.stringify(result))).toEqual({
      endpoint_arn: ARN,
      endpoint_name: "itsr-classifier",
      status: "IN_SERVICE",
      model_arn: MODEL_V1,
      desired_inference_units: 1,
    });
  });

  it("answers a destroy of an endpoint that no longer exists with success", async () => {
    // Prepare
    comprehend
      .on(DeleteEndpointCommand)
      .rejects(new ResourceNotFoundException({ message: "gone", $metadata: {} }));

    // Act
    const result = await handler(fixture("delete.json"), context);

    // Assess
    expect(result).toEqual({ endpoint_arn: ARN, endpoint_name: "itsr-classifier", status: "NOT_FOUND" });
  });

  it("throws an input error Terraform can show when invoked without the CRUD lifecycle key", async () => {
    // Prepare
    const { tf: _omitted, ...input } = fixture("create.json");

    // Act
    const run = handler(input, context);

    // Assess
    await expect(run).rejects.toThrow('Invocation input has no "tf" object');
    expect(comprehend.calls()).toHaveLength(0);
  });
});
