import type { S3Event, ScheduledEvent } from "aws-lambda";

export function isS3Event(event: unknown): event is S3Event {
  const records = (event as Partial<S3Event> | null)?.Records;
  return Array.isArray(records) && records.every((record) => record?.eventSource === "aws:s3");
}

export function isScheduledEvent(event: unknown): event is ScheduledEvent {
  const candidate = event as Partial<ScheduledEvent> | null;
  return candidate?.source === "aws.events" && candidate["detail-type"] === "Scheduled Event";
}
