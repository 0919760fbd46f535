import { checkPrefix } from "../../contract/data-layout";
import { TRAIN_ENVIRONMENT } from "../../contract/environment";
import { assertNamePrefix, NamingError, partitionAndAccount } from "../pipeline-shared/naming";
import { readHourlyRate } from "../pipeline-shared/pricing";
import { ConfigError, readConfig, readContract, readIdList } from "../shared/config";

export interface TrainConfig {
  readonly topicArn: string;
  readonly namePrefix: string;
  readonly bucketName: string;
  readonly preppedPrefix: string;
  readonly outputPrefix: string;
  readonly dataAccessRoleArn: string;
  readonly kmsKeyArn: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  readonly pricePerHour: number;
  /** Where classifiers of this function live; their ARNs are built from these three. */
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

function readPrefix(name: string, value: string): string {
  const problem = checkPrefix(name, value);
  if (problem) throw new ConfigError(problem);
  return value;
}

/** Reads and checks everything the stack passes in, naming every problem at cold start. */
export function readTrainConfig(env: NodeJS.ProcessEnv = process.env): TrainConfig {
  const raw = { ...readContract(TRAIN_ENVIRONMENT, env), ...readConfig(["AWS_REGION"], env) };
  try {
    assertNamePrefix(raw.NAME_PREFIX);
  } catch (cause) {
    if (cause instanceof NamingError) throw new ConfigError(cause.message, { cause });
    throw cause;
  }
  const role = /^arn:[a-z0-9-]+:iam::\d{12}:role\/.+$/.test(raw.DATA_ACCESS_ROLE_ARN)
    ? partitionAndAccount(raw.DATA_ACCESS_ROLE_ARN)
    : undefined;
  if (!role) {
    throw new ConfigError(`DATA_ACCESS_ROLE_ARN must be an IAM role ARN, got "${raw.DATA_ACCESS_ROLE_ARN}"`);
  }
  if (!/^arn:[a-z0-9-]+:kms:[a-z0-9-]+:\d{12}:key\/.+$/.test(raw.KMS_KEY_ARN)) {
    throw new ConfigError(`KMS_KEY_ARN must be a KMS key ARN, got "${raw.KMS_KEY_ARN}"`);
  }
  return {
    topicArn: raw.TOPIC_ARN,
    namePrefix: raw.NAME_PREFIX,
    bucketName: raw.BUCKET_NAME,
    preppedPrefix: readPrefix("PREPPED_PREFIX", raw.PREPPED_PREFIX),
    outputPrefix: readPrefix("OUTPUT_PREFIX", raw.OUTPUT_PREFIX),
    dataAccessRoleArn: raw.DATA_ACCESS_ROLE_ARN,
    kmsKeyArn: raw.KMS_KEY_ARN,
    subnetIds: readIdList("SUBNET_IDS", raw.SUBNET_IDS, 16),
    securityGroupIds: readIdList("SECURITY_GROUP_IDS", raw.SECURITY_GROUP_IDS, 5),
    pricePerHour: readHourlyRate(raw.TRAINING_PRICE_PER_HOUR),
    partition: role.partition,
    region: raw.AWS_REGION,
    account: role.account,
  };
}
