import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  ClassifyDocumentCommand,
  ComprehendClient,
  CreateEndpointCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  ResourceNotFoundException,
  TagResourceCommand,
} from "@aws-sdk/client-comprehend";
import type { APIGatewayProxyEvent, Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { activeWindow, parseActiveHours } from "../../../contract/active-hours";
import { SCHEDULE_KEY } from "../../../contract/endpoint-lifecycle";
import { type LifecycleDeps, runLifecycle } from "../../../functions/endpoint/lifecycle";
import { parseLifecycleRequest } from "../../../functions/endpoint/spec";
import { type ClassifyHandler, loadClassifyHandler, unsetClassifyEnv } from "../../fixtures/classify/handler";
import { emfProblems } from "../../fixtures/metrics/embedded-metric-format";

/** Weekdays 07:00-19:00 in Berlin, as the operator writes endpoint_active_hours in tfvars. */
const HOURS = { days: "MON-FRI", start: "07:00", end: "19:00", time_zone: "Europe/Berlin" };
const ARN = "arn:aws:comprehend:us-east-1:111122223333:document-classifier-endpoint/itsr-classifier";
const fixture = (name: string) =>
  JSON.parse(readFileSync(join(__dirname, "../../fixtures/endpoint", name), "utf8")) as Record<
    string,
    unknown
  >;
/** What terraform_data holds (the invocation's input without the provider's `tf` key). */
const { tf: _terraform, ...desired } = fixture("create.json");

const comprehend = mockClient(ComprehendClient);
/** One endpoint as Comprehend would keep it: created IN_SERVICE at once, gone once deleted. */
let live: { model: string; units: number } | null;

function fakeComprehend() {
  live = null;
  comprehend.reset();
  comprehend.on(DescribeEndpointCommand).callsFake(() => {
    if (!live) throw new ResourceNotFoundException({ message: "Endpoint not found", $metadata: {} });
    return {
      EndpointProperties: {
        EndpointArn: ARN,
        Status: "IN_SERVICE",
        ModelArn: live.model,
        DesiredModelArn: live.model,
        DesiredInferenceUnits: live.units,
        CurrentInferenceUnits: live.units,
        DataAccessRoleArn: desired.data_access_role_arn,
      },
    };
  });
  comprehend.on(CreateEndpointCommand).callsFake((input) => {
    live = { model: input.ModelArn, units: input.DesiredInferenceUnits };
    return { EndpointArn: ARN };
  });
  comprehend.on(DeleteEndpointCommand).callsFake(() => {
    if (!live) throw new ResourceNotFoundException({ message: "Endpoint not found", $metadata: {} });
    live = null;
    return {};
  });
  comprehend.on(TagResourceCommand).resolves({});
  comprehend.on(ClassifyDocumentCommand).callsFake(() => {
    if (!live) throw new ResourceNotFoundException({ message: "Endpoint not found", $metadata: {} });
    return { Classes: [{ Name: "Hardware", Score: 0.9 }] };
  });
}

function lifecycleDeps(at: string): LifecycleDeps {
  const now = new Date(at).getTime();
  return {
    comprehend: new ComprehendClient({}),
    logger: { info: jest.fn(), warn: jest.fn() },
    deadline: now + 870_000,
    pollIntervalMs: 15_000,
    now: () => now,
    sleep: async () => undefined,
    activeHours: parseActiveHours(JSON.stringify(HOURS)),
  };
}
const terraform = (action: "create" | "update", at: string) =>
  runLifecycle(
    parseLifecycleRequest({ ...desired, tf: { action, prev_input: action === "update" ? desired : null } }),
    lifecycleDeps(at),
  );
/** What each schedule sends: terraform_data's output plus the action (stacks/constructs/endpoint-schedule.ts). */
const scheduled = (action: "pause" | "resume", at: string) =>
  runLifecycle(parseLifecycleRequest({ ...desired, [SCHEDULE_KEY]: action }), lifecycleDeps(at));

const context = { awsRequestId: "req-1", functionName: "itsr-classify" } as unknown as Context;
const post: APIGatewayProxyEvent = JSON.parse(
  readFileSync(join(__dirname, "../../fixtures/classify/api-gateway-post.json"), "utf8"),
);
let classify: ClassifyHandler;

beforeAll(async () => {
  classify = await loadClassifyHandler({ ENDPOINT_ARN: ARN, ACTIVE_HOURS: JSON.stringify(HOURS) });
});
afterAll(() => {
  unsetClassifyEnv({ ACTIVE_HOURS: "" });
  jest.useRealTimers();
});

/** Calls the API's function at a wall-clock time, with what it writes to standard output. */
async function classifyAt(at: string) {
  jest.useFakeTimers({
    now: new Date(at),
    doNotFake: ["nextTick", "setImmediate", "setTimeout", "queueMicrotask"],
  });
  const written: string[] = [];
  const spy = jest.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    const answer = await classify(post, context);
    const metrics = written
      .flatMap((chunk) => chunk.split("\n"))
      .filter((line) => line.trim().startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((document) => "_aws" in document);
    return { answer, metrics };
  } finally {
    spy.mockRestore();
    jest.useRealTimers();
  }
}

describe("endpoint active hours", () => {
  beforeEach(fakeComprehend);

  it("pauses at the end of the day, answers 503 until Monday 07:00 meanwhile, and resumes with what Terraform holds", async () => {
    // Prepare: deployed on Friday morning (Berlin is UTC+1 in December).
    await terraform("create", "2026-12-04T09:00:00Z");
    expect(live).toEqual({ model: desired.model_arn, units: 1 });

    // Act 1: the pause schedule at Friday 19:00 Berlin.
    const paused = await scheduled("pause", "2026-12-04T18:00:00Z");

    // Assess 1: the endpoint is gone (no charges) and Comprehend was told to delete it once.
    expect(paused).toMatchObject({ endpoint_arn: ARN, status: "DELETING" });
    expect(live).toBeNull();

    // Act 2: a ticket on Saturday afternoon.
    const { answer, metrics } = await classifyAt("2026-12-05T14:00:00Z");

    // Assess 2: 503, a Retry-After to Monday 06:00 UTC, words saying why and when, no Comprehend call, and a
    // PausedAnswers count (which the 5XX alarm subtracts).
    expect(answer.statusCode).toBe(503);
    expect(answer.headers["Retry-After"]).toBe(
      String(
        (new Date("2026-12-07T06:00:00Z").getTime() - new Date("2026-12-05T14:00:00Z").getTime()) / 1000,
      ),
    );
    expect(JSON.parse(answer.body).error).toBe(
      "The classifier is paused outside its active hours (MON-FRI 07:00-19:00 Europe/Berlin); it resumes at 2026-12-07 07:00 Europe/Berlin",
    );
    expect(comprehend.commandCalls(ClassifyDocumentCommand)).toHaveLength(0);
    expect(metrics).toHaveLength(1);
    expect(emfProblems(metrics[0] as Record<string, unknown>)).toEqual([]);
    expect(metrics[0]).toMatchObject({ PausedAnswers: 1, service: "classify" });

    // Act 3: the resume schedule at Monday 07:00 Berlin, then a ticket once the endpoint is up.
    const resumed = await scheduled("resume", "2026-12-07T06:00:00Z");
    const monday = await classifyAt("2026-12-07T06:20:00Z");

    // Assess 3: re-created without waiting, with exactly Terraform's model, units, role and tags, so a deploy
    // afterwards has nothing to change (and aws_lambda_invocation invokes only on changed input).
    expect(resumed).toMatchObject({ status: "CREATING", model_arn: desired.model_arn });
    expect(comprehend.commandCalls(CreateEndpointCommand).at(-1)?.args[0].input).toMatchObject({
      EndpointName: desired.endpoint_name,
      ModelArn: desired.model_arn,
      DesiredInferenceUnits: desired.desired_inference_units,
      DataAccessRoleArn: desired.data_access_role_arn,
      Tags: [{ Key: "project", Value: "itsr" }],
    });
    expect(monday.answer.statusCode).toBe(200);
  });

  it("answers the first minutes after the start, while the endpoint is created, with 503 by design, counted apart", async () => {
    // Prepare: Monday 07:05 Berlin, the resume schedule ran at 07:00; Comprehend does not serve it yet.
    await scheduled("resume", "2026-12-07T06:00:00Z");
    comprehend
      .on(ClassifyDocumentCommand)
      .rejects(Object.assign(new Error("Endpoint is not ready"), { name: "ResourceUnavailableException" }));

    // Act
    const { answer, metrics } = await classifyAt("2026-12-07T06:05:00Z");

    // Assess: a retry in a minute, and a PausedAnswers count, which the 5XX alarm subtracts.
    expect(answer.statusCode).toBe(503);
    expect(answer.headers["Retry-After"]).toBe("60");
    expect(JSON.parse(answer.body).error).toContain("is starting for its active hours");
    expect(metrics[0]).toMatchObject({ PausedAnswers: 1 });
  });

  it("keeps no endpoint when Terraform creates or updates it outside the hours, and says when it comes", async () => {
    // Prepare: an endpoint left over (a pause that failed), and a deploy on Saturday.
    live = { model: String(desired.model_arn), units: 1 };

    // Act
    const result = await terraform("update", "2026-12-05T10:00:00Z");

    // Assess: deleted, not updated or created; the result names the next start.
    expect(result).toMatchObject({ status: "PAUSED", paused_until: "2026-12-07 07:00 Europe/Berlin" });
    expect(live).toBeNull();
    expect(comprehend.commandCalls(CreateEndpointCommand)).toHaveLength(0);
  });

  it("repeats nothing harmful: a second pause finds nothing to delete, a second resume adopts the endpoint", async () => {
    await expect(scheduled("pause", "2026-12-04T18:00:00Z")).resolves.toMatchObject({ status: "NOT_FOUND" });
    await scheduled("resume", "2026-12-07T06:00:00Z");
    await expect(scheduled("resume", "2026-12-07T06:01:00Z")).resolves.toMatchObject({
      status: "IN_SERVICE",
    });
    expect(comprehend.commandCalls(CreateEndpointCommand)).toHaveLength(1);
  });
});

describe("active hours", () => {
  const hours = parseActiveHours(JSON.stringify(HOURS));
  if (!hours) throw new Error("unparsed");

  it.each([
    ["Friday 10:00 UTC (11:00 Berlin)", "2026-12-04T10:00:00Z", true, "2026-12-04T06:00:00.000Z"],
    ["Friday 18:00 UTC (19:00 Berlin): the end", "2026-12-04T18:00:00Z", false, "2026-12-07T06:00:00.000Z"],
    ["Sunday", "2026-12-06T12:00:00Z", false, "2026-12-07T06:00:00.000Z"],
    ["the Friday before summer time starts", "2026-03-27T20:00:00Z", false, "2026-03-30T05:00:00.000Z"],
    ["the Friday before summer time ends", "2026-10-23T18:30:00Z", false, "2026-10-26T06:00:00.000Z"],
  ])("tells %s apart, and the next start in UTC", (_, at, active, nextStart) => {
    const window = activeWindow(new Date(at), hours);
    expect(window.active).toBe(active);
    expect(window.nextStart.toISOString()).toBe(nextStart);
  });

  it("reads lists and wrapping ranges of days, and refuses what EventBridge would not take", () => {
    const weekend = { ...HOURS, days: "FRI-MON" };
    expect(activeWindow(new Date("2026-12-06T10:00:00Z"), { ...weekend }).active).toBe(true);
    expect(activeWindow(new Date("2026-12-08T10:00:00Z"), { ...weekend }).active).toBe(false);
    expect(activeWindow(new Date("2026-12-09T10:00:00Z"), { ...HOURS, days: "MON,WED" }).active).toBe(true);
    expect(() => parseActiveHours(JSON.stringify({ ...HOURS, days: "Weekdays" }))).toThrow("days must be");
    expect(() => parseActiveHours(JSON.stringify({ ...HOURS, start: "19:00", end: "07:00" }))).toThrow(
      "start must be before end",
    );
    expect(() => parseActiveHours(JSON.stringify({ ...HOURS, time_zone: "Mars/Olympus" }))).toThrow(
      "time_zone",
    );
    expect(parseActiveHours("")).toBeUndefined();
  });
});
