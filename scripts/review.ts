/**
 * `npm run review`: a local page on 127.0.0.1 that shows the review queue's tickets one by one and stores each
 * answer as a correction, with the operator's own AWS credentials (nothing is deployed for it).
 */
import { S3Client } from "@aws-sdk/client-s3";
import { type CommandSpec, UsageError } from "./lib/command";
import { runWithProjectState } from "./lib/project-command";
import { explainCredentials, type StateSource } from "./lib/state";
import { startReviewServer } from "./review/server";
import { type ReviewStore, s3ReviewStore } from "./review/store";

export const USAGE = `usage: npm run review -- [--port <n>]

Opens the review queue on http://127.0.0.1: the tickets the classification API answered with a score below
review_threshold, one at a time, with the model's label and runner-up. Press a label's number (or click it,
or type another label) to store the right label as a correction; the ticket leaves the queue. s skips.
Reads the bucket from the training stack's state and uses your standard AWS credentials. Stop with Ctrl-C.

  --port <n>   the local port (default: a free one)
  -h, --help   show this help`;

export interface ReviewDeps {
  readonly state: StateSource;
  readonly store: (bucket: string, region: string) => ReviewStore;
  /** Resolves when the operator stops the page (Ctrl-C). */
  readonly untilStopped: () => Promise<void>;
}

export function reviewCommand(deps: ReviewDeps): CommandSpec<{ port: { type: "string" } }> {
  return {
    usage: USAGE,
    options: { port: { type: "string" } },
    explain: explainCredentials,
    run: async ({ values }, io) => {
      const port = values.port === undefined ? 0 : Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new UsageError(`--port must be a port number from 1 to 65535, got "${values.port}"`);
      }
      const training = await deps.state.outputs("training");
      const bucket = training?.s3_bucket_name;
      const topic = String(training?.sns_topic_arn ?? "");
      if (typeof bucket !== "string") {
        throw new UsageError(
          `The training stack is not deployed (no state in ${deps.state.description}), so there is no queue to review. Deploy it with: npm run deploy -- data network training`,
        );
      }
      const store = deps.store(bucket, topic.split(":")[3] || process.env.AWS_REGION || "us-east-1");
      // Listed once before the page opens: a credentials problem is said here, not in the browser.
      const queued = await store.queued();
      const server = await startReviewServer(store, { port });
      io.out(
        `${queued.length} ticket(s) queued in ${store.description}. Review them at:\n  ${server.url}\nStop with Ctrl-C.`,
      );
      await deps.untilStopped();
      await server.close();
    },
  };
}

if (require.main === module) {
  runWithProjectState((state) =>
    reviewCommand({
      state,
      store: (bucket, region) => s3ReviewStore(new S3Client({ region }), bucket),
      untilStopped: () => new Promise<void>((resolve) => process.once("SIGINT", () => resolve())),
    }),
  );
}
