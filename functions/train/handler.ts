import { ComprehendClient } from "@aws-sdk/client-comprehend";
import { SNSClient } from "@aws-sdk/client-sns";
import type { Context, SNSEvent } from "aws-lambda";
import { createLogger } from "../shared/logger";
import { readTrainConfig } from "./config";
import { handleMessage, type TrainDeps, type TrainResult } from "./train";

const logger = createLogger("train");
const deps: TrainDeps = {
  config: readTrainConfig(),
  comprehend: new ComprehendClient({}),
  sns: new SNSClient({}),
  logger,
};

/** SNS (filtered to `etl_completed`) -> CreateDocumentClassifier -> "training started" email. */
export const handler = async (event: SNSEvent, context: Context): Promise<TrainResult[]> => {
  logger.addContext(context);
  if (!Array.isArray(event?.Records)) {
    logger.warn("Ignoring an invocation that is not an SNS event", { event });
    return [];
  }
  const results: TrainResult[] = [];
  for (const record of event.Records) {
    results.push(await handleMessage(deps, record.Sns?.Message ?? ""));
  }
  return results;
};
