import { checkPrefix } from "../../contract/data-layout";
import { NOTIFY_ENVIRONMENT } from "../../contract/environment";
import { assertNamePrefix, NamingError, partitionAndAccount } from "../pipeline-shared/naming";
import { readHourlyRate } from "../pipeline-shared/pricing";
import { ConfigError, readConfig, readContract } from "../shared/config";

export interface NotifyConfig {
  readonly topicArn: string;
  readonly namePrefix: string;
  readonly outputPrefix: string;
  /** Where the ETL writes its reports; the failure email points the operator there. */
  readonly reportsPrefix: string;
  readonly pricePerHour: number;
  /** Classifier ARNs are built from the topic's partition, the function's region and the output key's account. */
  readonly partition: string;
  readonly region: string;
}

export function readNotifyConfig(env: NodeJS.ProcessEnv = process.env): NotifyConfig {
  const raw = { ...readContract(NOTIFY_ENVIRONMENT, env), ...readConfig(["AWS_REGION"], env) };
  try {
    assertNamePrefix(raw.NAME_PREFIX);
  } catch (cause) {
    if (cause instanceof NamingError) throw new ConfigError(cause.message, { cause });
    throw cause;
  }
  const topic = /^arn:[a-z0-9-]+:sns:/.test(raw.TOPIC_ARN) ? partitionAndAccount(raw.TOPIC_ARN) : undefined;
  if (!topic) throw new ConfigError(`TOPIC_ARN must be an SNS topic ARN, got "${raw.TOPIC_ARN}"`);
  for (const name of ["OUTPUT_PREFIX", "REPORTS_PREFIX"] as const) {
    const problem = checkPrefix(name, raw[name]);
    if (problem) throw new ConfigError(problem);
  }
  return {
    topicArn: raw.TOPIC_ARN,
    namePrefix: raw.NAME_PREFIX,
    outputPrefix: raw.OUTPUT_PREFIX,
    reportsPrefix: raw.REPORTS_PREFIX,
    pricePerHour: readHourlyRate(raw.TRAINING_PRICE_PER_HOUR),
    partition: topic.partition,
    region: raw.AWS_REGION,
  };
}
