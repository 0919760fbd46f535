import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";

import { EVENT_TYPE_ATTRIBUTE, type PipelineEventType } from "../../contract/events";

export type { PipelineEventType };

export interface PipelineEvent<Detail extends object> {
  readonly eventType: PipelineEventType;
  /** Email subject; SNS wants fewer than 100 characters and no line breaks. */
  readonly subject: string;
  /** What the operator reads in the email: plain sentences, not JSON. */
  readonly text: string;
  /** What subscribed functions parse. */
  readonly detail: Detail;
}

const SUBJECT_LIMIT = 99;

export function toSubject(subject: string): string {
  const oneLine = subject.replace(/\s+/g, " ").trim();
  return oneLine.length <= SUBJECT_LIMIT ? oneLine : `${oneLine.slice(0, SUBJECT_LIMIT - 1)}…`;
}

/** Builds the SNS publish input: per-protocol bodies so email gets words and Lambda gets JSON. */
export function toPublishInput<Detail extends object>(topicArn: string, event: PipelineEvent<Detail>) {
  const json = JSON.stringify({ event_type: event.eventType, ...event.detail });
  return {
    TopicArn: topicArn,
    Subject: toSubject(event.subject),
    MessageStructure: "json",
    Message: JSON.stringify({ default: json, lambda: json, sqs: json, email: event.text }),
    MessageAttributes: { [EVENT_TYPE_ATTRIBUTE]: { DataType: "String", StringValue: event.eventType } },
  };
}

export async function publishEvent<Detail extends object>(
  sns: SNSClient,
  topicArn: string,
  event: PipelineEvent<Detail>,
): Promise<string | undefined> {
  const output = await sns.send(new PublishCommand(toPublishInput(topicArn, event)));
  return output.MessageId;
}

/** Parses the JSON detail of an SNS record published by publishEvent (the `lambda` protocol body). */
export function parseEventMessage(
  message: string,
): { event_type: PipelineEventType } & Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch (cause) {
    throw new SyntaxError("SNS message is not JSON", { cause });
  }
  if (
    typeof parsed !== "object" ||
    parsed === null ||
    typeof (parsed as { event_type?: unknown }).event_type !== "string"
  ) {
    throw new SyntaxError("SNS message has no event_type");
  }
  return parsed as { event_type: PipelineEventType } & Record<string, unknown>;
}

/** Writes a marker after an email went out; retried in place, since a failure here would repeat the email. */
export async function markAfterPublish(write: () => Promise<unknown>, attempts = 3): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await write();
      return;
    } catch (error) {
      if (attempt >= attempts) throw error;
    }
  }
}
