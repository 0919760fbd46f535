import { ConfigError, readConfig } from "../shared/config";
import { assertNamePrefix, NamingError, partitionAndAccount } from "../training-shared/naming";
import { readHourlyRate } from "../training-shared/pricing";

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
  const raw = readConfig(["TOPIC_ARN", "NAME_PREFIX", "OUTPUT_PREFIX", "REPORTS_PREFIX", "AWS_REGION"], env);
  try {
    assertNamePrefix(raw.NAME_PREFIX);
  } catch (cause) {
    if (cause instanceof NamingError) throw new ConfigError(cause.message, { cause });
    throw cause;
  }
  const topic = /^arn:[a-z0-9-]+:sns:/.test(raw.TOPIC_ARN) ? partitionAndAccount(raw.TOPIC_ARN) : undefined;
  if (!topic) throw new ConfigError(`TOPIC_ARN must be an SNS topic ARN, got "${raw.TOPIC_ARN}"`);
  assertKeyPrefix("OUTPUT_PREFIX", raw.OUTPUT_PREFIX, "output_data/");
  assertKeyPrefix("REPORTS_PREFIX", raw.REPORTS_PREFIX, "reports/");
  return {
    topicArn: raw.TOPIC_ARN,
    namePrefix: raw.NAME_PREFIX,
    outputPrefix: raw.OUTPUT_PREFIX,
    reportsPrefix: raw.REPORTS_PREFIX,
    pricePerHour: readHourlyRate(env.TRAINING_PRICE_PER_HOUR),
    partition: topic.partition,
    region: raw.AWS_REGION,
  };
}

function assertKeyPrefix(name: string, value: string, example: string): void {
  if (value.startsWith("/") || !value.endsWith("/")) {
    throw new ConfigError(`${name} must be a key prefix like "${example}", got "${value}"`);
  }
}
