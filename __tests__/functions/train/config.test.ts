import {
  assertNamePrefix,
  classifierArn,
  classifierName,
  clientRequestToken,
  NamingError,
  parseClassifierArn,
  runIdFromClassifierName,
} from "../../../functions/pipeline-shared/naming";
import { costUsd, formatDuration, readHourlyRate } from "../../../functions/pipeline-shared/pricing";
import { ConfigError } from "../../../functions/shared/config";
import { readTrainConfig } from "../../../functions/train/config";
import { trainEnv } from "../../fixtures/train/env";

describe("readTrainConfig", () => {
  it("reads lists, the rate and the role's partition and account", () => {
    // Act
    const config = readTrainConfig({ ...trainEnv });

    // Assess
    expect(config.subnetIds).toEqual(["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]);
    expect(config.securityGroupIds).toEqual(["sg-0a1b2c3d4e5f60003"]);
    expect(config.pricePerHour).toBe(3);
    expect(config).toMatchObject({ partition: "aws", account: "111122223333", region: "us-east-1" });
  });

  it("defaults the training rate to $3 per hour when the stack leaves it out", () => {
    // Prepare
    const { TRAINING_PRICE_PER_HOUR: _unset, ...env } = trainEnv;

    // Act
    const config = readTrainConfig(env);

    // Assess
    expect(config.pricePerHour).toBe(3);
  });

  it.each([
    [{ TOPIC_ARN: "", KMS_KEY_ARN: " " }, "Missing required environment variable(s): TOPIC_ARN, KMS_KEY_ARN"],
    [{ NAME_PREFIX: "a-very-long-app-name" }, 'NAME_PREFIX "a-very-long-app-name" must be 1-16 characters'],
    [
      { SUBNET_IDS: "subnet-1,subnet 2" },
      "SUBNET_IDS must be 1-16 comma-separated ids of [-0-9a-zA-Z]; invalid: subnet 2",
    ],
    [{ SECURITY_GROUP_IDS: ",," }, "SECURITY_GROUP_IDS must be 1-5 comma-separated ids"],
    [
      { DATA_ACCESS_ROLE_ARN: "comprehend-role" },
      'DATA_ACCESS_ROLE_ARN must be an IAM role ARN, got "comprehend-role"',
    ],
    [{ KMS_KEY_ARN: "alias/app" }, 'KMS_KEY_ARN must be a KMS key ARN, got "alias/app"'],
    [
      { PREPPED_PREFIX: "prepped_data" },
      'PREPPED_PREFIX must be a key prefix such as "reports/" (no leading "/", one trailing "/"), got "prepped_data"',
    ],
    [
      { TRAINING_PRICE_PER_HOUR: "three" },
      'TRAINING_PRICE_PER_HOUR must be a positive number of US dollars per hour, got "three"',
    ],
  ])("fails loudly on %j", (change, message) => {
    // Act
    const read = () => readTrainConfig({ ...trainEnv, ...change });

    // Assess
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(message);
  });
});

describe("classifier naming", () => {
  it("derives name, token and ARN from the run id within Comprehend's limits", () => {
    // Prepare
    const runId = "a".repeat(37);

    // Act
    const name = classifierName("sixteen-chars-ab", runId);
    const token = clientRequestToken(runId);

    // Assess
    expect(name).toHaveLength(55);
    expect(token).toBe(`train-${runId}`);
    expect(token.length).toBeLessThanOrEqual(64);
  });

  it("refuses names Comprehend would reject", () => {
    expect(() => classifierName("itsr", "run-")).toThrow(NamingError);
    expect(() => classifierName("itsr", "run_1")).toThrow(
      'run_id "run_1" must be 1-37 characters of [a-z0-9-]',
    );
    expect(() => classifierName("-itsr", "run-1")).toThrow("NAME_PREFIX");
  });

  it("round-trips versioned and unversioned classifier ARNs", () => {
    // Prepare
    const parts = { partition: "aws", region: "eu-west-1", account: "111122223333", name: "itsr--run-1" };

    // Act
    const versioned = classifierArn({ ...parts, version: "run-1" });
    const plain = classifierArn(parts);

    // Assess
    expect(versioned).toBe(
      "arn:aws:comprehend:eu-west-1:111122223333:document-classifier/itsr--run-1/version/run-1",
    );
    expect(parseClassifierArn(versioned)).toEqual({ ...parts, version: "run-1" });
    expect(parseClassifierArn(plain)).toEqual({ ...parts, version: undefined });
    expect(
      parseClassifierArn("arn:aws:comprehend:eu-west-1:111122223333:entity-recognizer/x"),
    ).toBeUndefined();
  });

  it("recognises exactly this app's classifiers, never those of a deployment whose prefix extends ours", () => {
    expect(runIdFromClassifierName("itsr", "itsr--dataverse-files-3fa9c2d41b7e")).toBe(
      "dataverse-files-3fa9c2d41b7e",
    );
    // `itsr-dev`'s classifier of a run `dataverse-...`: the old `<prefix>-` rule took it for `itsr`'s run
    // `dev-dataverse-...`.
    expect(runIdFromClassifierName("itsr", "itsr-dev--dataverse-files-3fa9c2d41b7e")).toBeUndefined();
    expect(runIdFromClassifierName("itsr-dev", "itsr-dev--dataverse-files-3fa9c2d41b7e")).toBe(
      "dataverse-files-3fa9c2d41b7e",
    );
    expect(runIdFromClassifierName("itsr", "itsr-dataverse-files-3fa9c2d41b7e")).toBeUndefined();
    expect(runIdFromClassifierName("itsr", "itsrx--run")).toBeUndefined();
    expect(runIdFromClassifierName("itsr", "other-app-run")).toBeUndefined();
  });

  it("refuses a prefix holding the separator, which would make ownership ambiguous again", () => {
    expect(() => assertNamePrefix("itsr--dev")).toThrow('without "--"');
  });
});

describe("training pricing", () => {
  it("prices training time at the hourly rate and says it in words", () => {
    expect(costUsd(2.5 * 3_600_000, 3)).toBe(7.5);
    expect(formatDuration(2 * 3_600_000 + 41 * 60_000)).toBe("2 h 41 min");
    expect(formatDuration(3 * 3_600_000)).toBe("3 h");
    expect(formatDuration(12 * 60_000)).toBe("12 min");
    expect(formatDuration(40_000)).toBe("40 s");
  });

  it("accepts decimal rates and rejects the rest", () => {
    expect(readHourlyRate("0.5")).toBe(0.5);
    expect(readHourlyRate(undefined)).toBe(3);
    expect(() => readHourlyRate("-1")).toThrow(ConfigError);
    expect(() => readHourlyRate("0")).toThrow(ConfigError);
  });
});
