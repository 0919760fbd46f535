/**
 * The served model's per-label routing thresholds (reports/<run>/routing.json, from scoring it on its test
 * sample), and the threshold an answer is held against: its label's, or review_threshold where the model has
 * none yet (scoring not finished, or a label the sample did not hold).
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { parseClassifierArn } from "../../contract/arns";
import { runLayout } from "../../contract/data-layout";
import type { RoutingThresholds } from "../../contract/scoring";
import { readTextIfPresent } from "../shared/objects";
import { runOf } from "./naming";

export interface EffectiveThreshold {
  /** null: the label's answers are never right often enough to route themselves. */
  readonly threshold: number | null;
  readonly source: "label" | "review_threshold";
}

export function thresholdFor(
  label: string,
  routing: RoutingThresholds | undefined,
  reviewThreshold: number,
): EffectiveThreshold {
  const own = routing?.labels[label];
  return own
    ? { threshold: own.threshold, source: "label" }
    : { threshold: reviewThreshold, source: "review_threshold" };
}

/** One threshold for every label, or each label's own. */
export type ThresholdRule = number | ((label: string) => EffectiveThreshold);

export function thresholdOfRule(rule: ThresholdRule): (label: string) => EffectiveThreshold {
  return typeof rule === "number" ? () => ({ threshold: rule, source: "review_threshold" }) : rule;
}

export function routes(score: number, effective: EffectiveThreshold): boolean {
  return effective.threshold !== null && score >= effective.threshold;
}

/** Where a classifier's thresholds are: its run's reports; undefined for a classifier this app did not train. */
export function routingKeyOf(
  reportsPrefix: string,
  namePrefix: string,
  classifierArn: string,
): string | undefined {
  const parts = parseClassifierArn(classifierArn);
  const runId = parts && runOf(namePrefix, parts);
  return runId
    ? runLayout({ prepped: "", reports: reportsPrefix, output: "" }, runId).scoring.routing
    : undefined;
}

/** The thresholds, or undefined when they are not written (yet): the caller falls back to review_threshold. */
export async function readRoutingThresholds(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<RoutingThresholds | undefined> {
  // The classify function may read only routing.json files: a missing one is a 403 to it.
  const text = await readTextIfPresent(s3, bucket, key, ["NoSuchKey", "AccessDenied"]);
  return text === undefined ? undefined : (JSON.parse(text) as RoutingThresholds);
}
