import { readNotifyConfig } from "../../../functions/notify/config";
import { outcomeEvent } from "../../../functions/notify/report";
import { ConfigError } from "../../../functions/shared/config";
import { notifyEnv } from "../../fixtures/notify/env";

const ARN = "arn:aws:comprehend:us-east-1:111122223333:document-classifier/itsr--run-1/version/v1";

describe("training failure email", () => {
  it("points at the run's report under the reports prefix the stack configures", () => {
    // Prepare
    const facts = {
      runId: "run-1",
      name: "itsr-run-1",
      arn: ARN,
      pricePerHour: 3,
      reportsPrefix: "audit/etl-reports/",
      properties: {
        DocumentClassifierArn: ARN,
        Status: "IN_ERROR" as const,
        Message: "Too few documents for label HIVE",
        InputDataConfig: { S3Uri: "s3://itsr-data/prepped_data/run-1/" },
      },
    };

    // Act
    const event = outcomeEvent(facts);

    // Assess
    expect(event?.text).toContain("s3://itsr-data/audit/etl-reports/run-1/report.json");
    expect(event?.detail).toMatchObject({ report_uri: "s3://itsr-data/audit/etl-reports/run-1/report.json" });
  });
});

describe("readNotifyConfig", () => {
  it("fails loudly without a reports prefix, or with one that is not a key prefix", () => {
    // Prepare
    const { REPORTS_PREFIX: _omitted, ...withoutReports } = notifyEnv;

    // Act / Assess
    expect(() => readNotifyConfig(withoutReports)).toThrow(ConfigError);
    expect(() => readNotifyConfig({ ...notifyEnv, REPORTS_PREFIX: "reports" })).toThrow(
      'REPORTS_PREFIX must be a key prefix such as "reports/" (no leading "/", one trailing "/"), got "reports"',
    );
    expect(readNotifyConfig(notifyEnv).reportsPrefix).toBe("reports/");
  });
});
