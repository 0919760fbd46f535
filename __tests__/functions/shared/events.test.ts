import { parseEventMessage, toPublishInput, toSubject } from "../../../functions/shared/events";

describe("pipeline events", () => {
  it("publish words to email subscribers and JSON to functions, with the filter attribute", () => {
    const input = toPublishInput("arn:aws:sns:us-east-1:111122223333:topic", {
      eventType: "etl_completed",
      subject: "ETL completed",
      text: "Prepared 120 documents.",
      detail: { run_id: "r-1" },
    });

    const bodies = JSON.parse(input.Message);
    expect(input.MessageStructure).toBe("json");
    expect(bodies.email).toBe("Prepared 120 documents.");
    expect(JSON.parse(bodies.lambda)).toEqual({ event_type: "etl_completed", run_id: "r-1" });
    expect(bodies.default).toBe(bodies.lambda);
    expect(input.MessageAttributes.event_type).toEqual({ DataType: "String", StringValue: "etl_completed" });
  });

  it("keep subjects on one line and under SNS's 100 characters", () => {
    const subject = toSubject(`Training failed\nfor ${"x".repeat(200)}`);

    expect(subject).not.toContain("\n");
    expect(subject.length).toBeLessThan(100);
  });

  it("reject a message that is not a pipeline event", () => {
    expect(() => parseEventMessage("not json")).toThrow("SNS message is not JSON");
    expect(() => parseEventMessage("{}")).toThrow("SNS message has no event_type");
  });
});
