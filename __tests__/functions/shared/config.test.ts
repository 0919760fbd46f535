import { ConfigError, readConfig, readPositiveInt } from "../../../functions/shared/config";

describe("readConfig", () => {
  it("returns every named setting trimmed", () => {
    // Prepare
    const env = { TOPIC_ARN: " arn:aws:sns:us-east-1:111122223333:t ", BUCKET_NAME: "b" };

    // Act
    const config = readConfig(["TOPIC_ARN", "BUCKET_NAME"], env);

    // Assess
    expect(config).toEqual({ TOPIC_ARN: "arn:aws:sns:us-east-1:111122223333:t", BUCKET_NAME: "b" });
  });

  it("names every missing or blank setting in one error", () => {
    const env = { BUCKET_NAME: "  " };

    const read = () => readConfig(["TOPIC_ARN", "BUCKET_NAME"], env);

    expect(read).toThrow(ConfigError);
    expect(read).toThrow("Missing required environment variable(s): TOPIC_ARN, BUCKET_NAME");
  });
});

describe("readPositiveInt", () => {
  it("falls back only when the setting is absent", () => {
    expect(readPositiveInt("N", undefined, 50)).toBe(50);
    expect(readPositiveInt("N", "7", 50)).toBe(7);
  });

  it("rejects values that are not positive integers", () => {
    expect(() => readPositiveInt("MIN_DOCS", "ten", 50)).toThrow(
      'MIN_DOCS must be a positive integer, got "ten"',
    );
    expect(() => readPositiveInt("MIN_DOCS", "0", 50)).toThrow(ConfigError);
  });
});
