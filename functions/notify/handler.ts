import { ComprehendClient } from "@aws-sdk/client-comprehend";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import type { Context, S3Event, ScheduledEvent } from "aws-lambda";
import { isS3Event, isScheduledEvent } from "../shared/invocations";
import { createLogger } from "../shared/logger";
import { s3Comparison } from "./compare";
import { readNotifyConfig } from "./config";
import { checkClassifiers, handleOutputObject, type NotifyDeps, type NotifyResult } from "./notify";

const logger = createLogger("notify");
const config = readNotifyConfig();
const deps: NotifyDeps = {
  config,
  comprehend: new ComprehendClient({}),
  sns: new SNSClient({}),
  logger,
  // Vega is an ES module with top-level await: loaded when a page is drawn, not at cold start.
  compare: s3Comparison(new S3Client({}), config, async (evaluation, title, note) =>
    (await import("../evaluation/report-page")).renderReport(evaluation, title, note),
  ),
};

/** S3 `output.tar.gz` created -> report that run; EventBridge schedule -> sweep the app's classifiers. */
export const handler = async (event: S3Event | ScheduledEvent, context: Context): Promise<NotifyResult[]> => {
  logger.addContext(context);
  if (isScheduledEvent(event)) return checkClassifiers(deps);
  if (isS3Event(event)) {
    const results: NotifyResult[] = [];
    for (const record of event.Records) {
      if (!record.eventName.startsWith("ObjectCreated:")) {
        const reason = `S3 event ${record.eventName} is not an object creation`;
        logger.warn("Ignoring an S3 event", { reason });
        results.push({ outcome: "ignored", reason });
        continue;
      }
      results.push(await handleOutputObject(deps, record.s3.bucket.name, record.s3.object.key));
    }
    return results;
  }
  logger.warn("Ignoring an invocation that is neither an S3 event nor a scheduled event", { event });
  return [{ outcome: "ignored", reason: "unsupported event" }];
};
