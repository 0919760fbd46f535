import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type EndpointSpec,
  endpointArnFor,
  hasConverged,
  LifecycleInputError,
  parseLifecycleRequest,
  planTags,
  planUpdate,
} from "../../../functions/endpoint/spec";

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(__dirname, "../../fixtures/endpoint", name), "utf8"));

const MODEL_V1 = "arn:aws:comprehend:us-east-1:111122223333:document-classifier/itsr--classifier/version/v1";
const MODEL_V2 = "arn:aws:comprehend:us-east-1:111122223333:document-classifier/itsr--classifier/version/v2";
const ROLE = "arn:aws:iam::111122223333:role/itsr-endpoint-data-access";
const spec = (overrides: Partial<EndpointSpec> = {}): EndpointSpec => ({
  endpointName: "itsr-classifier",
  modelArn: MODEL_V1,
  desiredInferenceUnits: 1,
  tags: {},
  unitsManagedByAutoscaling: false,
  ...overrides,
});

describe("parseLifecycleRequest", () => {
  it("reads a create invocation with no previous input", () => {
    // Act
    const request = parseLifecycleRequest(fixture("create.json"));

    // Assess
    expect(request).toEqual({
      action: "create",
      desired: spec({ tags: { project: "itsr" }, dataAccessRoleArn: ROLE }),
      previous: null,
    });
  });

  it("reads the previous configuration of an update", () => {
    // Act
    const request = parseLifecycleRequest(fixture("update-model.json"));

    // Assess
    expect(request.action).toBe("update");
    expect(request.desired.modelArn).toBe(MODEL_V2);
    expect(request.previous?.modelArn).toBe(MODEL_V1);
  });

  it("explains that the function expects aws_lambda_invocation's CRUD key", () => {
    // Prepare
    const { tf: _omitted, ...input } = fixture("create.json");

    // Act
    const parse = () => parseLifecycleRequest(input);

    // Assess
    expect(parse).toThrow(LifecycleInputError);
    expect(parse).toThrow(
      'Invocation input has no "tf" object; invoke this function through aws_lambda_invocation',
    );
  });

  it("rejects an unknown action", () => {
    expect(() => parseLifecycleRequest({ ...fixture("create.json"), tf: { action: "read" } })).toThrow(
      '"tf.action" must be "create", "update" or "delete", got "read"',
    );
  });

  it("names every invalid field at once", () => {
    // Prepare
    const input = {
      endpoint_name: "bad_name!",
      model_arn: "arn:aws:comprehend:us-east-1:111122223333:entity-recognizer/x",
      desired_inference_units: 0,
      tags: { team: 7 },
      data_access_role_arn: "role/itsr",
      tf: { action: "create", prev_input: null },
    };

    // Act
    const parse = () => parseLifecycleRequest(input);

    // Assess
    expect(parse).toThrow(
      /endpoint_name must be.*model_arn must be a Comprehend document classifier ARN.*desired_inference_units must be a positive integer.*tags must be an object of string values/,
    );
  });

  it("rejects an endpoint name longer than Comprehend allows", () => {
    expect(() => parseLifecycleRequest({ ...fixture("create.json"), endpoint_name: "e".repeat(41) })).toThrow(
      "endpoint_name must be at most 40 characters, got 41",
    );
  });
});

describe("endpointArnFor", () => {
  it("places the endpoint in the model's partition, region and account", () => {
    // Prepare
    const model = "arn:aws-cn:comprehend:cn-north-1:444455556666:document-classifier/itsr";

    // Act
    const arn = endpointArnFor({ endpointName: "itsr-ep", modelArn: model });

    // Assess
    expect(arn).toBe("arn:aws-cn:comprehend:cn-north-1:444455556666:document-classifier-endpoint/itsr-ep");
  });
});

describe("planUpdate", () => {
  const inService = {
    status: "IN_SERVICE",
    modelArn: MODEL_V1,
    desiredInferenceUnits: 1,
    currentInferenceUnits: 1,
  };

  it("asks for nothing when the endpoint already matches", () => {
    expect(planUpdate(inService, spec())).toBeNull();
  });

  it("asks only for what differs", () => {
    expect(planUpdate(inService, spec({ modelArn: MODEL_V2 }))).toEqual({ DesiredModelArn: MODEL_V2 });
    expect(planUpdate(inService, spec({ desiredInferenceUnits: 4 }))).toEqual({ DesiredInferenceUnits: 4 });
  });

  it("does not ask again for an update already in flight", () => {
    // Prepare
    const updating = { ...inService, status: "UPDATING", desiredModelArn: MODEL_V2 };

    // Act / Assess
    expect(planUpdate(updating, spec({ modelArn: MODEL_V2 }))).toBeNull();
  });

  it("leaves the units alone when autoscaling owns them", () => {
    // Prepare
    const scaledOut = { ...inService, desiredInferenceUnits: 5, currentInferenceUnits: 5 };

    // Act / Assess
    expect(planUpdate(scaledOut, spec({ unitsManagedByAutoscaling: true }))).toBeNull();
    expect(hasConverged(scaledOut, spec({ unitsManagedByAutoscaling: true }))).toBe(true);
  });
});

describe("hasConverged with a data access role", () => {
  const inService = { status: "IN_SERVICE", modelArn: MODEL_V1, currentInferenceUnits: 1 };

  it("waits until Comprehend reports the new role, and trusts silence", () => {
    // Prepare
    const otherRole = "arn:aws:iam::111122223333:role/other";

    // Act / Assess
    expect(
      hasConverged({ ...inService, dataAccessRoleArn: ROLE }, spec({ dataAccessRoleArn: otherRole })),
    ).toBe(false);
    expect(
      hasConverged({ ...inService, dataAccessRoleArn: otherRole }, spec({ dataAccessRoleArn: otherRole })),
    ).toBe(true);
    expect(hasConverged(inService, spec({ dataAccessRoleArn: otherRole }))).toBe(true);
  });
});

describe("planUpdate with a data access role", () => {
  const inService = {
    status: "IN_SERVICE",
    modelArn: MODEL_V1,
    desiredInferenceUnits: 1,
    currentInferenceUnits: 1,
    dataAccessRoleArn: ROLE,
  };

  it("sends the role with a new model, whose key only that role may be able to use", () => {
    expect(planUpdate(inService, spec({ modelArn: MODEL_V2, dataAccessRoleArn: ROLE }))).toEqual({
      DesiredModelArn: MODEL_V2,
      DesiredDataAccessRoleArn: ROLE,
    });
  });

  it("changes only the role when only the role differs", () => {
    // Prepare
    const otherRole = "arn:aws:iam::111122223333:role/other";

    // Act / Assess
    expect(planUpdate(inService, spec({ dataAccessRoleArn: otherRole }))).toEqual({
      DesiredDataAccessRoleArn: otherRole,
    });
    expect(planUpdate(inService, spec({ dataAccessRoleArn: ROLE }))).toBeNull();
  });

  it("does not update for a role Comprehend does not report", () => {
    // Prepare
    const { dataAccessRoleArn: _unreported, ...silent } = inService;

    // Act / Assess
    expect(planUpdate(silent, spec({ dataAccessRoleArn: ROLE }))).toBeNull();
  });
});

describe("planTags", () => {
  it("sets new and changed tags and removes dropped ones", () => {
    expect(planTags({ a: "1", b: "2", c: "3" }, { a: "1", b: "20", d: "4" })).toEqual({
      set: { b: "20", d: "4" },
      remove: ["c"],
    });
  });
});
