import { Logger } from "@aws-lambda-powertools/logger";

/**
 * One structured JSON logger per function. POWERTOOLS_SERVICE_NAME and POWERTOOLS_LOG_LEVEL come from the
 * Lambda construct, so the service name only matters for local runs and tests.
 */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? serviceName });
}
