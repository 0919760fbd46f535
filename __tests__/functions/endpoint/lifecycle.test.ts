import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ComprehendClient,
  CreateEndpointCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  type DescribeEndpointResponse,
  type EndpointStatus,
  ResourceInUseException,
  ResourceNotFoundException,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateEndpointCommand,
} from "@aws-sdk/client-comprehend";
import { mockClient } from "aws-sdk-client-mock";
import {
  ComprehendCallError,
  EndpointFailedError,
  EndpointNotReadyError,
  type LifecycleDeps,
  runLifecycle,
} from "../../../functions/endpoint/lifecycle";
import { parseLifecycleRequest } from "../../../functions/endpoint/spec";

const request = (name: string, patch: Record<string, unknown> = {}) =>
  parseLifecycleRequest({
    ...JSON.parse(readFileSync(join(__dirname, "../../fixtures/endpoint", name), "utf8")),
    ...patch,
  });

const MODEL_V1 = "arn:aws:comprehend:us-east-1:111122223333:document-classifier/itsr--classifier/version/v1";
const MODEL_V2 = "arn:aws:comprehend:us-east-1:111122223333:document-classifier/itsr--classifier/version/v2";
const ARN = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/itsr-classifier";
const BLUE_ARN =
  "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/itsr-classifier-blue";

const ROLE = "arn:aws:iam::111122223333:role/itsr-endpoint-data-access";
const POLL_MS = 15_000;
const comprehend = mockClient(ComprehendClient);
let clock: number;

/** Dependencies with a fake clock that sleeping advances, so waiting costs no real time. */
function deps(budgetMs = 870_000): LifecycleDeps {
  clock = 0;
  return {
    comprehend: new ComprehendClient({}),
    logger: { info: jest.fn(), warn: jest.fn() },
    deadline: budgetMs,
    pollIntervalMs: POLL_MS,
    now: () => clock,
    sleep: async (ms) => {
      clock += ms;
    },
  };
}

function endpoint(
  status: EndpointStatus,
  props: {
    model?: string;
    units?: number;
    desiredModel?: string;
    message?: string;
    arn?: string;
    role?: string;
  } = {},
): DescribeEndpointResponse {
  return {
    EndpointProperties: {
      EndpointArn: props.arn ?? ARN,
      Status: status,
      ModelArn: props.model ?? MODEL_V1,
      DesiredModelArn: props.desiredModel ?? props.model ?? MODEL_V1,
      DesiredInferenceUnits: props.units ?? 1,
      CurrentInferenceUnits: props.units ?? 1,
      DataAccessRoleArn: props.role ?? ROLE,
      Message: props.message,
    },
  };
}

const notFound = () => new ResourceNotFoundException({ message: "Endpoint not found", $metadata: {} });
/** Comprehend has no modelled AccessDenied error; the SDK raises a generic service exception with that name. */
const accessDenied = (message: string) =>
  Object.assign(new Error(message), { name: "AccessDeniedException" });
const inUse = () => new ResourceInUseException({ message: "Endpoint name already in use", $metadata: {} });

beforeEach(() => comprehend.reset());

describe("create", () => {
  it("creates the endpoint and waits until it is IN_SERVICE", async () => {
    // Prepare
    comprehend.on(CreateEndpointCommand).resolves({ EndpointArn: ARN });
    comprehend
      .on(DescribeEndpointCommand)
      .resolvesOnce(endpoint("CREATING"))
      .resolvesOnce(endpoint("CREATING"))
      .resolves(endpoint("IN_SERVICE"));

    // Act
    const result = await runLifecycle(request("create.json"), deps());

    // Assess
    expect(result).toEqual({
      endpoint_arn: ARN,
      endpoint_name: "itsr-classifier",
      status: "IN_SERVICE",
      model_arn: MODEL_V1,
      desired_inference_units: 1,
    });
    expect(comprehend).toHaveReceivedCommandWith(CreateEndpointCommand, {
      EndpointName: "itsr-classifier",
      ModelArn: MODEL_V1,
      DesiredInferenceUnits: 1,
      ClientRequestToken: expect.stringMatching(
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      ),
      DataAccessRoleArn: ROLE,
      Tags: [{ Key: "project", Value: "itsr" }],
    });
    expect(comprehend).toHaveReceivedCommandTimes(DescribeEndpointCommand, 3);
    expect(clock).toBe(2 * POLL_MS);
    expect(comprehend).not.toHaveReceivedCommand(TagResourceCommand);
  });

  it("gives each creation its own token, so an endpoint destroyed and created again is created anew", async () => {
    // Prepare: the same endpoint (name and model) created, then destroyed
    comprehend.on(CreateEndpointCommand).resolves({ EndpointArn: ARN });
    comprehend.on(DeleteEndpointCommand).resolves({});
    comprehend.on(DescribeEndpointCommand).resolvesOnce(endpoint("IN_SERVICE")).rejectsOnce(notFound());
    await runLifecycle(request("create.json"), deps());
    await runLifecycle(request("delete.json"), deps());
    comprehend.on(DescribeEndpointCommand).resolves(endpoint("IN_SERVICE"));

    // Act
    await runLifecycle(request("create.json"), deps());

    // Assess
    const tokens = comprehend
      .commandCalls(CreateEndpointCommand)
      .map((call) => call.args[0].input.ClientRequestToken);
    expect(tokens).toHaveLength(2);
    expect(new Set(tokens).size).toBe(2);
  });

  it("adopts the endpoint a retried apply already created instead of failing", async () => {
    // Prepare
    comprehend.on(CreateEndpointCommand).rejects(inUse());
    comprehend.on(DescribeEndpointCommand).resolves(endpoint("IN_SERVICE"));

    // Act
    const result = await runLifecycle(request("create.json"), deps());

    // Assess
    expect(result).toMatchObject({ endpoint_arn: ARN, status: "IN_SERVICE" });
    expect(comprehend).not.toHaveReceivedCommand(UpdateEndpointCommand);
    expect(comprehend).toHaveReceivedCommandWith(TagResourceCommand, {
      ResourceArn: ARN,
      Tags: [{ Key: "project", Value: "itsr" }],
    });
  });

  it("waits for an adopted endpoint that is still creating from the earlier attempt", async () => {
    // Prepare
    comprehend.on(CreateEndpointCommand).rejects(inUse());
    comprehend
      .on(DescribeEndpointCommand)
      .resolvesOnce(endpoint("CREATING"))
      .resolves(endpoint("IN_SERVICE"));

    // Act
    const result = await runLifecycle(request("create.json"), deps());

    // Assess
    expect(result).toMatchObject({ status: "IN_SERVICE" });
    expect(clock).toBe(POLL_MS);
  });

  it("brings an adopted endpoint with other units to the desired ones", async () => {
    // Prepare
    comprehend.on(CreateEndpointCommand).rejects(inUse());
    comprehend
      .on(DescribeEndpointCommand)
      .resolvesOnce(endpoint("IN_SERVICE", { units: 2 }))
      .resolvesOnce(endpoint("UPDATING", { units: 2 }))
      .resolves(endpoint("IN_SERVICE", { units: 1 }));

    // Act
    const result = await runLifecycle(request("create.json"), deps());

    // Assess
    expect(comprehend).toHaveReceivedCommandWith(UpdateEndpointCommand, {
      EndpointArn: ARN,
      DesiredInferenceUnits: 1,
    });
    expect(result).toMatchObject({ desired_inference_units: 1, status: "IN_SERVICE" });
  });

  it("fails with Comprehend's message when the endpoint ends up FAILED", async () => {
    // Prepare
    comprehend.on(CreateEndpointCommand).resolves({ EndpointArn: ARN });
    comprehend
      .on(DescribeEndpointCommand)
      .resolvesOnce(endpoint("CREATING"))
      .resolves(endpoint("FAILED", { message: "Model version v1 is not in TRAINED state" }));

    // Act
    const run = runLifecycle(request("create.json"), deps());

    // Assess
    await expect(run).rejects.toThrow(EndpointFailedError);
    await expect(run).rejects.toThrow(
      `Endpoint ${ARN} is FAILED: Model version v1 is not in TRAINED state. Delete it with "aws comprehend delete-endpoint --endpoint-arn ${ARN}"`,
    );
  });

  it("gives the one command to run when creation outlasts the invocation, and that command adopts and waits", async () => {
    // Prepare: 60 s of budget is four polls
    comprehend.on(CreateEndpointCommand).resolves({ EndpointArn: ARN });
    comprehend.on(DescribeEndpointCommand).resolves(endpoint("CREATING"));

    // Act
    const run = runLifecycle(request("create.json"), deps(60_000));

    // Assess
    await expect(run).rejects.toThrow(EndpointNotReadyError);
    await expect(run).rejects.toThrow(
      /is still CREATING and this invocation is out of time.*Run "npm run deploy -- inference" again: it adopts this endpoint and waits for it/,
    );
    expect(clock).toBeLessThan(60_000);

    // Act: the apply that command runs invokes create again (the failed create left nothing in state).
    comprehend.reset();
    comprehend.on(CreateEndpointCommand).rejects(inUse());
    comprehend
      .on(DescribeEndpointCommand)
      .resolvesOnce(endpoint("CREATING"))
      .resolves(endpoint("IN_SERVICE"));
    const again = await runLifecycle(request("create.json"), deps());

    // Assess
    expect(again).toMatchObject({ endpoint_arn: ARN, status: "IN_SERVICE" });
  });

  it("waits for an earlier endpoint of the same name to finish deleting, then creates it anew", async () => {
    // Prepare
    comprehend.on(CreateEndpointCommand).rejectsOnce(inUse()).resolves({ EndpointArn: ARN });
    comprehend
      .on(DescribeEndpointCommand)
      .resolvesOnce(endpoint("DELETING"))
      .resolvesOnce(endpoint("DELETING"))
      .rejectsOnce(notFound())
      .resolves(endpoint("IN_SERVICE"));

    // Act
    const result = await runLifecycle(request("create.json"), deps());

    // Assess
    expect(result).toMatchObject({ status: "IN_SERVICE" });
    expect(comprehend).toHaveReceivedCommandTimes(CreateEndpointCommand, 2);
  });

  it("reports which call failed and why when Comprehend refuses the creation", async () => {
    // Prepare
    comprehend
      .on(CreateEndpointCommand)
      .rejects(accessDenied("not authorized to perform comprehend:CreateEndpoint"));

    // Act
    const run = runLifecycle(request("create.json"), deps());

    // Assess
    await expect(run).rejects.toThrow(ComprehendCallError);
    await expect(run).rejects.toThrow(
      `CreateEndpoint for ${ARN} failed: AccessDeniedException: not authorized to perform comprehend:CreateEndpoint`,
    );
  });
});

describe("update", () => {
  it("moves the endpoint to a new model in place and waits for it", async () => {
    // Prepare
    comprehend
      .on(DescribeEndpointCommand)
      .resolvesOnce(endpoint("IN_SERVICE"))
      .resolvesOnce(endpoint("UPDATING", { model: MODEL_V1, desiredModel: MODEL_V2 }))
      .resolves(endpoint("IN_SERVICE", { model: MODEL_V2 }));

    // Act
    const result = await runLifecycle(request("update-model.json"), deps());

    // Assess
    expect(comprehend).toHaveReceivedCommandWith(UpdateEndpointCommand, {
      EndpointArn: ARN,
      DesiredModelArn: MODEL_V2,
    });
    expect(comprehend).not.toHaveReceivedCommand(CreateEndpointCommand);
    expect(comprehend).not.toHaveReceivedCommand(DeleteEndpointCommand);
    expect(result).toEqual({
      endpoint_arn: ARN,
      endpoint_name: "itsr-classifier",
      status: "IN_SERVICE",
      model_arn: MODEL_V2,
      desired_inference_units: 1,
    });
  });

  it("changes the inference units in place", async () => {
    // Prepare
    comprehend
      .on(DescribeEndpointCommand)
      .resolvesOnce(endpoint("IN_SERVICE"))
      .resolvesOnce(endpoint("UPDATING"))
      .resolves(endpoint("IN_SERVICE", { units: 3 }));

    // Act
    const result = await runLifecycle(request("update-units.json"), deps());

    // Assess
    const updates = comprehend.commandCalls(UpdateEndpointCommand);
    expect(updates).toHaveLength(1);
    expect(updates[0]?.args[0].input).toEqual({ EndpointArn: ARN, DesiredInferenceUnits: 3 });
    expect(result).toMatchObject({ desired_inference_units: 3 });
  });

  it("waits for a role-only update to show the new role, though the endpoint still says IN_SERVICE at first", async () => {
    // Prepare
    const oldRole = "arn:aws:iam::111122223333:role/itsr-old-data-access";
    comprehend
      .on(DescribeEndpointCommand)
      .resolvesOnce(endpoint("IN_SERVICE", { role: oldRole }))
      .resolvesOnce(endpoint("IN_SERVICE", { role: oldRole }))
      .resolvesOnce(endpoint("UPDATING", { role: oldRole }))
      .resolves(endpoint("IN_SERVICE"));

    // Act
    const result = await runLifecycle(request("update-tags-only.json"), deps());

    // Assess
    expect(comprehend).toHaveReceivedCommandWith(UpdateEndpointCommand, {
      EndpointArn: ARN,
      DesiredDataAccessRoleArn: ROLE,
    });
    expect(comprehend).toHaveReceivedCommandTimes(DescribeEndpointCommand, 4);
    expect(result).toMatchObject({ status: "IN_SERVICE" });
  });

  it("makes no update call when model and units are unchanged, and syncs only the tags", async () => {
    // Prepare
    comprehend.on(DescribeEndpointCommand).resolves(endpoint("IN_SERVICE"));

    // Act
    const result = await runLifecycle(request("update-tags-only.json"), deps());

    // Assess
    expect(comprehend).not.toHaveReceivedCommand(UpdateEndpointCommand);
    expect(comprehend).toHaveReceivedCommandWith(TagResourceCommand, {
      ResourceArn: ARN,
      Tags: [{ Key: "owner", Value: "service-desk" }],
    });
    expect(comprehend).toHaveReceivedCommandWith(UntagResourceCommand, {
      ResourceArn: ARN,
      TagKeys: ["cost-centre"],
    });
    expect(result).toMatchObject({ status: "IN_SERVICE", model_arn: MODEL_V1 });
  });

  it("fails with Comprehend's message when the update leaves the endpoint FAILED", async () => {
    // Prepare
    comprehend
      .on(DescribeEndpointCommand)
      .resolvesOnce(endpoint("IN_SERVICE"))
      .resolves(endpoint("FAILED", { message: "Insufficient capacity for 3 inference units" }));

    // Act
    const run = runLifecycle(request("update-units.json"), deps());

    // Assess
    await expect(run).rejects.toThrow(
      `Updating endpoint ${ARN} FAILED: Insufficient capacity for 3 inference units`,
    );
  });

  it("fails when the endpoint returns to service without the requested model", async () => {
    // Prepare
    comprehend
      .on(DescribeEndpointCommand)
      .resolvesOnce(endpoint("IN_SERVICE"))
      .resolvesOnce(endpoint("UPDATING", { desiredModel: MODEL_V2 }))
      .resolves(endpoint("IN_SERVICE", { message: "Model v2 was trained in another language" }));

    // Act
    const run = runLifecycle(request("update-model.json"), deps());

    // Assess
    await expect(run).rejects.toThrow(EndpointFailedError);
    await expect(run).rejects.toThrow(
      /returned to IN_SERVICE without the requested model, units or role: Model v2 was trained/,
    );
  });

  it("waits for an update from an earlier apply to finish before deciding what to change", async () => {
    // Prepare: the endpoint is already moving to v2
    comprehend
      .on(DescribeEndpointCommand)
      .resolvesOnce(endpoint("UPDATING", { desiredModel: MODEL_V2 }))
      .resolves(endpoint("IN_SERVICE", { model: MODEL_V2 }));

    // Act
    const result = await runLifecycle(request("update-model.json"), deps());

    // Assess
    expect(comprehend).not.toHaveReceivedCommand(UpdateEndpointCommand);
    expect(result).toMatchObject({ model_arn: MODEL_V2 });
  });

  it("says the update continues when time runs out", async () => {
    // Prepare
    comprehend
      .on(DescribeEndpointCommand)
      .resolvesOnce(endpoint("IN_SERVICE"))
      .resolves(endpoint("UPDATING", { desiredModel: MODEL_V2 }));

    // Act
    const run = runLifecycle(request("update-model.json"), deps(45_000));

    // Assess: another apply would do nothing (the provider saved the new input), so it is not suggested.
    await expect(run).rejects.toThrow(
      /is still UPDATING and this invocation is out of time waiting for it to finish the update/,
    );
    await expect(run).rejects.toThrow(
      /Terraform has already recorded the new configuration \(hashicorp\/terraform-provider-aws#43447\), so applying again changes nothing/,
    );
    await expect(run).rejects.not.toThrow(/re-run apply|deploy -- inference/);
  });

  it("recreates an endpoint that was deleted outside Terraform", async () => {
    // Prepare
    comprehend
      .on(DescribeEndpointCommand)
      .rejectsOnce(notFound())
      .resolves(endpoint("IN_SERVICE", { model: MODEL_V2 }));
    comprehend.on(CreateEndpointCommand).resolves({ EndpointArn: ARN });

    // Act
    const result = await runLifecycle(request("update-model.json"), deps());

    // Assess
    expect(comprehend).toHaveReceivedCommandWith(CreateEndpointCommand, {
      EndpointName: "itsr-classifier",
      ModelArn: MODEL_V2,
    });
    expect(result).toMatchObject({ status: "IN_SERVICE", model_arn: MODEL_V2 });
  });

  it("replaces a renamed endpoint: creates the new one, waits for it, and only then deletes the old one", async () => {
    // Prepare
    comprehend.on(CreateEndpointCommand).resolves({ EndpointArn: BLUE_ARN });
    comprehend
      .on(DescribeEndpointCommand, { EndpointArn: BLUE_ARN })
      .resolvesOnce(endpoint("CREATING", { arn: BLUE_ARN }))
      .resolves(endpoint("IN_SERVICE", { arn: BLUE_ARN }));
    comprehend.on(DeleteEndpointCommand).resolves({});

    // Act
    const result = await runLifecycle(request("rename.json"), deps());

    // Assess
    expect(result).toMatchObject({
      endpoint_arn: BLUE_ARN,
      endpoint_name: "itsr-classifier-blue",
      status: "IN_SERVICE",
    });
    expect(comprehend).toHaveReceivedCommandWith(CreateEndpointCommand, {
      EndpointName: "itsr-classifier-blue",
    });
    expect(comprehend).toHaveReceivedCommandWith(DeleteEndpointCommand, { EndpointArn: ARN });
    const order = comprehend.calls().map((call) => call.args[0]);
    const lastDescribeOfNew = order.findLastIndex((cmd) => cmd instanceof DescribeEndpointCommand);
    const deletion = order.findIndex((cmd) => cmd instanceof DeleteEndpointCommand);
    expect(deletion).toBeGreaterThan(lastDescribeOfNew);
    expect(comprehend).not.toHaveReceivedCommandWith(DeleteEndpointCommand, { EndpointArn: BLUE_ARN });
  });

  it("keeps the old endpoint when its replacement fails", async () => {
    // Prepare
    comprehend.on(CreateEndpointCommand).resolves({ EndpointArn: BLUE_ARN });
    comprehend
      .on(DescribeEndpointCommand)
      .resolves(endpoint("FAILED", { arn: BLUE_ARN, message: "no capacity" }));

    // Act
    const run = runLifecycle(request("rename.json"), deps());

    // Assess
    await expect(run).rejects.toThrow("no capacity");
    expect(comprehend).not.toHaveReceivedCommand(DeleteEndpointCommand);
  });

  it("names the old endpoint and the command to remove it when it cannot be deleted after a rename", async () => {
    // Prepare
    comprehend.on(CreateEndpointCommand).resolves({ EndpointArn: BLUE_ARN });
    comprehend.on(DescribeEndpointCommand).resolves(endpoint("IN_SERVICE", { arn: BLUE_ARN }));
    comprehend
      .on(DeleteEndpointCommand)
      .rejects(accessDenied("not authorized to perform comprehend:DeleteEndpoint"));

    // Act
    const run = runLifecycle(request("rename.json"), deps());

    // Assess
    await expect(run).rejects.toThrow(
      `DeleteEndpoint for ${ARN} failed: AccessDeniedException: not authorized to perform comprehend:DeleteEndpoint; the replacement ${BLUE_ARN} is IN_SERVICE, delete the old endpoint with "aws comprehend delete-endpoint --endpoint-arn ${ARN}"`,
    );
  });
});

describe("delete", () => {
  it("deletes the endpoint and waits until Comprehend no longer knows it", async () => {
    // Prepare
    comprehend.on(DeleteEndpointCommand).resolves({});
    comprehend.on(DescribeEndpointCommand).resolvesOnce(endpoint("DELETING")).rejects(notFound());

    // Act
    const result = await runLifecycle(request("delete.json"), deps());

    // Assess
    expect(comprehend).toHaveReceivedCommandWith(DeleteEndpointCommand, { EndpointArn: ARN });
    expect(result).toEqual({ endpoint_arn: ARN, endpoint_name: "itsr-classifier", status: "DELETED" });
  });

  it("treats an endpoint that is already gone as deleted", async () => {
    // Prepare
    comprehend.on(DeleteEndpointCommand).rejects(notFound());

    // Act
    const result = await runLifecycle(request("delete.json"), deps());

    // Assess
    expect(result).toEqual({ endpoint_arn: ARN, endpoint_name: "itsr-classifier", status: "NOT_FOUND" });
    expect(comprehend).not.toHaveReceivedCommand(DescribeEndpointCommand);
  });

  it("waits for a busy endpoint to settle before deleting it", async () => {
    // Prepare
    comprehend.on(DeleteEndpointCommand).rejectsOnce(inUse()).resolves({});
    comprehend
      .on(DescribeEndpointCommand)
      .resolvesOnce(endpoint("UPDATING"))
      .resolvesOnce(endpoint("IN_SERVICE"))
      .rejects(notFound());

    // Act
    const result = await runLifecycle(request("delete.json"), deps());

    // Assess
    expect(comprehend).toHaveReceivedCommandTimes(DeleteEndpointCommand, 2);
    expect(result).toMatchObject({ status: "DELETED" });
  });

  it("succeeds with DELETING when deletion outlasts the invocation", async () => {
    // Prepare
    comprehend.on(DeleteEndpointCommand).resolves({});
    comprehend.on(DescribeEndpointCommand).resolves(endpoint("DELETING"));

    // Act
    const result = await runLifecycle(request("delete.json"), deps(40_000));

    // Assess
    expect(result).toMatchObject({ status: "DELETING" });
  });

  it("fails with the reason when Comprehend refuses the deletion", async () => {
    // Prepare
    comprehend.on(DeleteEndpointCommand).rejects(accessDenied("explicit deny"));

    // Act
    const run = runLifecycle(request("delete.json"), deps());

    // Assess
    await expect(run).rejects.toThrow(
      `DeleteEndpoint for ${ARN} failed: AccessDeniedException: explicit deny`,
    );
  });
});

describe("autoscaled units", () => {
  it("changes the model without resetting units that autoscaling raised", async () => {
    // Prepare
    comprehend
      .on(DescribeEndpointCommand)
      .resolvesOnce(endpoint("IN_SERVICE", { units: 4 }))
      .resolvesOnce(endpoint("UPDATING", { units: 4, desiredModel: MODEL_V2 }))
      .resolves(endpoint("IN_SERVICE", { units: 4, model: MODEL_V2 }));

    // Act
    const result = await runLifecycle(
      request("update-model.json", { units_managed_by_autoscaling: true }),
      deps(),
    );

    // Assess
    expect(comprehend.commandCalls(UpdateEndpointCommand)[0]?.args[0].input).toEqual({
      EndpointArn: ARN,
      DesiredModelArn: MODEL_V2,
      DesiredDataAccessRoleArn: ROLE,
    });
    expect(result).toMatchObject({ model_arn: MODEL_V2, desired_inference_units: 4 });
  });
});
