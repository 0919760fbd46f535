/**
 * What each answer tells the operator, as metrics: how many answers, how many below the review threshold, and
 * the label mix. Written in CloudWatch's embedded metric format by Powertools' Metrics (no hand-written format);
 * never any ticket text, only label names and counts.
 */
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { CLASSIFY_METRICS, LABEL_DIMENSION } from "../../contract/metrics";
import type { ClassScore } from "./core";

export function recordAnswer(metrics: Metrics, top: ClassScore | undefined, reviewThreshold: number): void {
  if (!top) return;
  metrics.addMetric(CLASSIFY_METRICS.answers, MetricUnit.Count, 1);
  metrics.addMetric(CLASSIFY_METRICS.lowConfidence, MetricUnit.Count, top.Score < reviewThreshold ? 1 : 0);
  // The label is a dimension of its own metric, so the answers' totals keep the service dimension alone.
  const byLabel = metrics.singleMetric();
  byLabel.addDimension(LABEL_DIMENSION, top.Name);
  byLabel.addMetric(CLASSIFY_METRICS.answersByLabel, MetricUnit.Count, 1);
}

/** A request answered 503 because the endpoint is paused outside its active hours. */
export function recordPaused(metrics: Metrics): void {
  metrics.addMetric(CLASSIFY_METRICS.paused, MetricUnit.Count, 1);
}
