import { CloudWatchClient, GetMetricDataCommand, ListMetricsCommand } from "@aws-sdk/client-cloudwatch";
import { GetObjectCommand, type GetObjectCommandOutput, NoSuchKey, S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { DRIFT_DEFAULTS } from "../../../contract/environment";
import { type DriftConfig, runDriftCheck, TrainingMixUnavailable } from "../../../functions/drift/check";
import { assessDrift, jensenShannonDistance } from "../../../functions/drift/core";
import { getMetricDataOutput, listMetricsOutput, type MetricWeeks } from "../../fixtures/drift/cloudwatch";

const cloudwatch = mockClient(CloudWatchClient);
const s3 = mockClient(S3Client);
const sns = mockClient(SNSClient);

const RUN = "tickets-export-3fa9c2d41b7e";
const config: DriftConfig = {
  topicArn: "arn:aws:sns:us-east-1:111122223333:itsr-pipeline",
  classifierArn: `arn:aws:comprehend:us-east-1:111122223333:document-classifier/itsr--${RUN}/version/v-3fa9c2d41b7e`,
  namePrefix: "itsr",
  bucket: "itsr-data",
  reportsPrefix: "reports/",
  namespace: "itsr/classifier",
  dashboardUrl:
    "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards/dashboard/itsr-classifier",
  docsUrl: "docs",
  thresholds: { ...DRIFT_DEFAULTS },
};
/** The served model's training mix (its run report's label_counts): 50% / 30% / 20%. */
const TRAINING = { Hardware: 500, Network: 300, Access: 200 };

function deployed(weeks: MetricWeeks, report: unknown = { label_counts: TRAINING }) {
  cloudwatch
    .on(ListMetricsCommand)
    .resolves(listMetricsOutput(config.namespace, Object.keys(weeks.lastWeekByLabel)));
  cloudwatch.on(GetMetricDataCommand).callsFake((input) => getMetricDataOutput(input, weeks));
  s3.on(GetObjectCommand, { Bucket: "itsr-data", Key: `reports/${RUN}/report.json` }).resolves({
    Body: {
      transformToString: async () => JSON.stringify(report),
    } as unknown as GetObjectCommandOutput["Body"],
  });
  sns.on(PublishCommand).resolves({ MessageId: "m-1" });
}

const check = () =>
  runDriftCheck({
    config,
    cloudwatch: new CloudWatchClient({}),
    s3: new S3Client({}),
    sns: new SNSClient({}),
    logger: { info: () => undefined, warn: () => undefined },
    now: () => new Date("2026-11-30T06:00:12Z"),
  });
const emails = () => sns.commandCalls(PublishCommand).map((call) => call.args[0].input);
const emailText = () => JSON.parse(String(emails()[0]?.Message)).email as string;

beforeEach(() => {
  cloudwatch.reset();
  s3.reset();
  sns.reset();
});

describe("drift check", () => {
  it("sends nothing when last week's tickets look like the training data", async () => {
    // Prepare: the same mix, sampled: 248/152/100 of 500; low confidence 8% now and before.
    deployed({
      lastWeekByLabel: { Hardware: 248, Network: 152, Access: 100 },
      lastWeek: { answers: 500, lowConfidence: 40 },
      before: { answers: 2000, lowConfidence: 160 },
    });

    // Act
    const assessment = await check();

    // Assess
    expect(assessment).toMatchObject({ kind: "steady", answers: 500, mixMoved: false });
    expect(emails()).toEqual([]);
  });

  it("emails when a label became dominant, naming what grew and shrank, the distance and what to do", async () => {
    // Prepare: Access goes from 20% to 70% of the tickets.
    deployed({
      lastWeekByLabel: { Hardware: 100, Network: 50, Access: 350 },
      lastWeek: { answers: 500, lowConfidence: 40 },
      before: { answers: 2000, lowConfidence: 160 },
    });

    // Act
    const assessment = await check();

    // Assess
    expect(assessment).toMatchObject({ kind: "drifted", mixMoved: true });
    expect(emails()).toHaveLength(1);
    expect(emails()[0]?.Subject).toBe("Tickets drifted from the model: the label mix moved");
    const text = emailText();
    expect(text).toContain("in the last 7 days (500 answers)");
    expect(text).toMatch(/Jensen-Shannon distance 0\.\d\d from the training data \(alert from 0\.2;/);
    expect(text).toContain('Grew:\n  "Access": 20% in training, 70% last week (+50 points)');
    expect(text).toContain('Shrank:\n  "Hardware": 50% in training, 20% last week (-30 points)');
    expect(text).toContain("Low-confidence answers: 8% last week, 8% in the four weeks before");
    expect(text).toContain(config.dashboardUrl);
    expect(text).toContain("docs/operator-guide.md#retraining-and-rollback");
    expect(text).toContain("docs/troubleshooting.md#the-tickets-drifted");
    expect(JSON.parse(String(emails()[0]?.Message)).default).toContain('"event_type":"drift_detected"');
  });

  it("emails when low-confidence answers jumped although the label mix held", async () => {
    // Prepare: 30% of last week's answers below the review threshold, 8% in the four weeks before.
    deployed({
      lastWeekByLabel: { Hardware: 250, Network: 150, Access: 100 },
      lastWeek: { answers: 500, lowConfidence: 150 },
      before: { answers: 2000, lowConfidence: 160 },
    });

    // Act
    const assessment = await check();

    // Assess
    expect(assessment).toMatchObject({ kind: "drifted", mixMoved: false, lowConfidence: { jumped: true } });
    expect(emails()[0]?.Subject).toBe("Tickets drifted from the model: low-confidence answers jumped");
    expect(emailText()).toContain(
      "Low-confidence answers: 30% last week, 8% in the four weeks before (alert from a rise of 10 points).",
    );
    expect(emailText()).not.toContain("Grew:");
  });

  it("reads every page CloudWatch returns: labels listed over two pages, data points split by NextToken", async () => {
    // Prepare: a drifted week whose ListMetrics and GetMetricData answers both come in two pages.
    const weeks = {
      lastWeekByLabel: { Hardware: 100, Network: 50, Access: 350 },
      lastWeek: { answers: 500, lowConfidence: 40 },
      before: { answers: 2000, lowConfidence: 160 },
    };
    deployed(weeks);
    cloudwatch
      .on(ListMetricsCommand)
      .resolvesOnce(listMetricsOutput(config.namespace, ["Hardware", "Network"], "labels-2"))
      .resolves(listMetricsOutput(config.namespace, ["Access"]));
    cloudwatch.on(GetMetricDataCommand).callsFake((input) => getMetricDataOutput(input, weeks, true));

    // Act
    const assessment = await check();

    // Assess: the same judgement as with one page each (Access grew from 20% to 70%).
    expect(assessment).toMatchObject({ kind: "drifted", answers: 500, mixMoved: true });
    expect(cloudwatch.commandCalls(ListMetricsCommand)).toHaveLength(2);
    expect(emailText()).toContain('"Access": 20% in training, 70% last week (+50 points)');
  });

  it("judges nothing in a week with fewer answers than drift_min_answers", async () => {
    deployed({
      lastWeekByLabel: { Access: 150 },
      lastWeek: { answers: 150, lowConfidence: 90 },
      before: { answers: 0, lowConfidence: 0 },
    });

    await expect(check()).resolves.toEqual({ kind: "too-few-answers", answers: 150, minAnswers: 200 });
    expect(emails()).toEqual([]);
  });

  it("fails by name when the served model's run report is missing, and emails nothing", async () => {
    deployed({
      lastWeekByLabel: { Access: 500 },
      lastWeek: { answers: 500, lowConfidence: 0 },
      before: { answers: 0, lowConfidence: 0 },
    });
    s3.on(GetObjectCommand).rejects(
      new NoSuchKey({ message: "The specified key does not exist.", $metadata: {} }),
    );

    await expect(check()).rejects.toThrow(TrainingMixUnavailable);
    await expect(check()).rejects.toThrow(`s3://itsr-data/reports/${RUN}/report.json`);
    expect(emails()).toEqual([]);
  });
});

describe("Jensen-Shannon distance", () => {
  it("is 0 for the same mix, 1 for mixes without a label in common, and symmetric", () => {
    expect(jensenShannonDistance([0.5, 0.5], [0.5, 0.5])).toBe(0);
    expect(jensenShannonDistance([1, 0], [0, 1])).toBeCloseTo(1, 12);
    expect(jensenShannonDistance([0.7, 0.2, 0.1], [0.2, 0.3, 0.5])).toBeCloseTo(
      jensenShannonDistance([0.2, 0.3, 0.5], [0.7, 0.2, 0.1]),
      12,
    );
  });

  it("crosses the default 0.2 when one of ten equal labels grows from 10% to 30% of tickets", () => {
    const training = { ...Object.fromEntries([..."ABCDEFGHIJ"].map((l) => [l, 100])) };
    const lastWeek = { ...Object.fromEntries([..."BCDEFGHIJ"].map((l) => [l, 700 / 9])), A: 300 };
    const counts = { answers: 1000, lowConfidence: 0 };
    const assessment = assessDrift(
      { training, lastWeek, lastWeekAnswers: counts, before: counts },
      { ...DRIFT_DEFAULTS },
    );
    expect(assessment).toMatchObject({ kind: "drifted", mixMoved: true });
  });
});
