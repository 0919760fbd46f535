import { PublishCommand, type PublishCommandInput } from "@aws-sdk/client-sns";
import type { AwsStub } from "aws-sdk-client-mock";

export interface PublishedEvent {
  readonly input: PublishCommandInput;
  readonly subject: string | undefined;
  /** What the operator's email subscription receives. */
  readonly email: string;
  /** The JSON subscribed functions receive. */
  readonly detail: Record<string, unknown>;
}

// biome-ignore lint/suspicious/noExplicitAny: the SNS mock's input/output types are not needed here.
type SnsMock = AwsStub<any, any, any>;

/** Every pipeline event a mocked SNS client was asked to publish, with its per-protocol bodies decoded. */
export function publishedEvents(sns: SnsMock): PublishedEvent[] {
  return sns.commandCalls(PublishCommand).map((call) => {
    const input = call.args[0].input as PublishCommandInput;
    const bodies = JSON.parse(input.Message ?? "{}") as { email: string; lambda: string };
    return { input, subject: input.Subject, email: bodies.email, detail: JSON.parse(bodies.lambda) };
  });
}

/** The index-th published event; fails the test when there is none. */
export function publishedEvent(sns: SnsMock, index = 0): PublishedEvent {
  const event = publishedEvents(sns)[index];
  if (!event) throw new Error(`no PublishCommand #${index}`);
  return event;
}
