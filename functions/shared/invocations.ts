import type { S3Event, ScheduledEvent, SNSEvent } from "aws-lambda";

export function isS3Event(event: unknown): event is S3Event {
  const records = (event as Partial<S3Event> | null)?.Records;
  return Array.isArray(records) && records.every((record) => record?.eventSource === "aws:s3");
}

export function isScheduledEvent(event: unknown): event is ScheduledEvent {
  const candidate = event as Partial<ScheduledEvent> | null;
  return candidate?.source === "aws.events" && candidate["detail-type"] === "Scheduled Event";
}

/** SNS delivers to Lambda with `EventSource: "aws:sns"` on every record (note the capital E, unlike S3's). */
export function isSnsEvent(event: unknown): event is SNSEvent {
  const records = (event as Partial<SNSEvent> | null)?.Records;
  return (
    Array.isArray(records) &&
    records.length > 0 &&
    records.every((record) => record?.EventSource === "aws:sns")
  );
}
