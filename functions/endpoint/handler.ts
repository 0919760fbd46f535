import { ComprehendClient } from "@aws-sdk/client-comprehend";
import type { Context } from "aws-lambda";
import { parseActiveHours } from "../../contract/active-hours";
import { ENDPOINT_LIFECYCLE_ENVIRONMENT } from "../../contract/environment";
import { readContract, readPositiveInt } from "../shared/config";
import { createLogger } from "../shared/logger";
import { type DeleteResult, type EndpointResult, runLifecycle } from "./lifecycle";
import { endpointArnFor, parseLifecycleRequest } from "./spec";

const config = readContract(ENDPOINT_LIFECYCLE_ENVIRONMENT);
const pollIntervalMs = readPositiveInt("POLL_INTERVAL_SECONDS", config.POLL_INTERVAL_SECONDS, 15) * 1000;
// Time kept back from the Lambda timeout so the function answers Terraform with a clear error instead of
// being killed mid-poll, which Terraform would only report as "Task timed out".
const safetyMarginMs = readPositiveInt("SAFETY_MARGIN_SECONDS", config.SAFETY_MARGIN_SECONDS, 30) * 1000;
const activeHours = parseActiveHours(config.ACTIVE_HOURS);
const logger = createLogger("endpoint-lifecycle");
const comprehend = new ComprehendClient({});

export const handler = async (event: unknown, context: Context): Promise<EndpointResult | DeleteResult> => {
  logger.addContext(context);
  try {
    const request = parseLifecycleRequest(event);
    logger.appendKeys({
      action: request.action,
      endpoint_arn: endpointArnFor(request.desired),
      previous_endpoint_name: request.previous?.endpointName,
    });
    logger.info("lifecycle action started", {
      model_arn: request.desired.modelArn,
      desired_inference_units: request.desired.desiredInferenceUnits,
    });
    const result = await runLifecycle(request, {
      comprehend,
      logger,
      deadline: Date.now() + context.getRemainingTimeInMillis() - safetyMarginMs,
      pollIntervalMs,
      activeHours,
    });
    logger.info("lifecycle action finished", { result });
    return result;
  } catch (error) {
    // The thrown message is what Terraform prints, so it must stand on its own.
    logger.error("lifecycle action failed", { error: error as Error });
    throw error;
  } finally {
    logger.resetKeys();
  }
};
