/**
 * The weekly drift check: reads last week's answers from the classify function's metrics and the served
 * model's training mix from its run's report, and emails the operator when they moved apart.
 */

import type { Logger } from "@aws-lambda-powertools/logger";
import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type MetricDataQuery,
  paginateListMetrics,
} from "@aws-sdk/client-cloudwatch";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SNSClient } from "@aws-sdk/client-sns";
import {
  CLASSIFY_METRICS,
  CLASSIFY_SERVICE,
  LABEL_DIMENSION,
  SERVICE_DIMENSION,
} from "../../contract/metrics";
import { readTrainingMix, TrainingMixUnavailable } from "../pipeline-shared/training-mix";
import { publishEvent } from "../shared/events";
import {
  type AnswerCounts,
  assessDrift,
  type DriftAssessment,
  type DriftThresholds,
  driftEmail,
} from "./core";

export interface DriftConfig {
  readonly topicArn: string;
  readonly classifierArn: string;
  readonly namePrefix: string;
  readonly bucket: string;
  readonly reportsPrefix: string;
  readonly namespace: string;
  readonly dashboardUrl: string;
  readonly docsUrl: string;
  readonly thresholds: DriftThresholds;
}

export interface DriftDeps {
  readonly config: DriftConfig;
  readonly cloudwatch: CloudWatchClient;
  readonly s3: S3Client;
  readonly sns: SNSClient;
  readonly logger: Pick<Logger, "info" | "warn">;
  readonly now: () => Date;
}

export { TrainingMixUnavailable };

const DAY_SECONDS = 86_400;
const WEEK_SECONDS = 7 * DAY_SECONDS;
/** The low-confidence share's usual level: the four weeks before the last. */
const WEEKS_BEFORE = 4;
/** GetMetricData takes at most 500 queries a call. */
const QUERIES_PER_CALL = 500;

export async function runDriftCheck(deps: DriftDeps): Promise<DriftAssessment> {
  const { config, logger } = deps;
  // Whole hours: CloudWatch wants start times older than 15 days on the hour (GetMetricData, StartTime).
  const end = new Date(Math.floor(deps.now().getTime() / 3_600_000) * 3_600_000);
  const weekAgo = new Date(end.getTime() - WEEK_SECONDS * 1000);
  const monthBefore = new Date(weekAgo.getTime() - WEEKS_BEFORE * WEEK_SECONDS * 1000);

  const training = await readTrainingMix(deps.s3, config);
  const labels = await answeredLabels(deps);
  const lastWeek = await sums(
    deps,
    labels.map((label) =>
      metricQuery(config.namespace, CLASSIFY_METRICS.answersByLabel, WEEK_SECONDS, label),
    ),
    weekAgo,
    end,
  );
  const lastWeekAnswers = await answerCounts(deps, weekAgo, end, WEEK_SECONDS);
  const before = await answerCounts(deps, monthBefore, weekAgo, WEEKS_BEFORE * WEEK_SECONDS);
  const byLabel: Record<string, number> = {};
  labels.forEach((label, i) => {
    const count = lastWeek[i] ?? 0;
    if (count > 0) byLabel[label] = count;
  });

  const assessment = assessDrift({ training, lastWeek: byLabel, lastWeekAnswers, before }, config.thresholds);
  if (assessment.kind !== "drifted") {
    logger.info("drift check", { outcome: assessment.kind, answers: assessment.answers });
    return assessment;
  }
  const email = driftEmail(assessment, {
    classifierArn: config.classifierArn,
    thresholds: config.thresholds,
    dashboardUrl: config.dashboardUrl,
    docsUrl: config.docsUrl,
  });
  await publishEvent(deps.sns, config.topicArn, {
    eventType: "drift_detected",
    subject: email.subject,
    text: email.text,
    detail: {
      classifier_arn: config.classifierArn,
      distance: assessment.distance,
      low_confidence_percent: assessment.lowConfidence.lastWeek,
      answers: assessment.answers,
    },
  });
  logger.info("drift check", { outcome: "drifted", distance: assessment.distance });
  return assessment;
}

/** Every label the classify function answered in the last two weeks (ListMetrics' window). */
async function answeredLabels(deps: DriftDeps): Promise<string[]> {
  const labels = new Set<string>();
  for await (const page of paginateListMetrics(
    { client: deps.cloudwatch },
    { Namespace: deps.config.namespace, MetricName: CLASSIFY_METRICS.answersByLabel },
  )) {
    for (const metric of page.Metrics ?? []) {
      const label = metric.Dimensions?.find((d) => d.Name === LABEL_DIMENSION)?.Value;
      if (label !== undefined) labels.add(label);
    }
  }
  return [...labels].sort();
}

function metricQuery(namespace: string, metricName: string, period: number, label?: string) {
  const dimensions = [{ Name: SERVICE_DIMENSION, Value: CLASSIFY_SERVICE }];
  if (label !== undefined) dimensions.push({ Name: LABEL_DIMENSION, Value: label });
  return {
    MetricStat: {
      Metric: { Namespace: namespace, MetricName: metricName, Dimensions: dimensions },
      Period: period,
      Stat: "Sum",
    },
  };
}

/** Each query's sum over the window, in the queries' order (0 where CloudWatch has no data). */
async function sums(
  deps: DriftDeps,
  queries: Omit<MetricDataQuery, "Id">[],
  start: Date,
  end: Date,
): Promise<number[]> {
  const totals = new Array<number>(queries.length).fill(0);
  for (let offset = 0; offset < queries.length; offset += QUERIES_PER_CALL) {
    const chunk = queries.slice(offset, offset + QUERIES_PER_CALL).map((query, i) => ({
      ...query,
      Id: `q${offset + i}`,
    }));
    let nextToken: string | undefined;
    do {
      const page = await deps.cloudwatch.send(
        new GetMetricDataCommand({
          MetricDataQueries: chunk,
          StartTime: start,
          EndTime: end,
          NextToken: nextToken,
        }),
      );
      for (const result of page.MetricDataResults ?? []) {
        const index = Number(result.Id?.slice(1));
        if (!Number.isInteger(index)) continue;
        totals[index] = (totals[index] ?? 0) + (result.Values ?? []).reduce((sum, v) => sum + v, 0);
      }
      nextToken = page.NextToken;
    } while (nextToken);
  }
  return totals;
}

async function answerCounts(deps: DriftDeps, start: Date, end: Date, period: number): Promise<AnswerCounts> {
  const { namespace } = deps.config;
  const [answers = 0, lowConfidence = 0] = await sums(
    deps,
    [
      metricQuery(namespace, CLASSIFY_METRICS.answers, period),
      metricQuery(namespace, CLASSIFY_METRICS.lowConfidence, period),
    ],
    start,
    end,
  );
  return { answers, lowConfidence };
}
