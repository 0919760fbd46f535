/**
 * Backlog tickets with a low score join the same review queue as the API's answers: a person answers them on
 * the same page, and their answers become corrections like any other.
 */
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { RECORD_ID_PATTERN, type ReviewItem, reviewItemKey } from "../../contract/review";
import { routes, type ThresholdRule, thresholdOfRule } from "../pipeline-shared/routing-thresholds";
import type { Predictions } from "./results";

/** One item per document whose top score is below the threshold; ids name the batch and the line. */
export function batchReviewItems(
  batchId: string,
  documents: readonly string[],
  predictions: Predictions,
  rule: ThresholdRule,
  receivedAt: Date,
): ReviewItem[] {
  const thresholdOf = thresholdOfRule(rule);
  const items: ReviewItem[] = [];
  documents.forEach((text, line) => {
    const prediction = predictions.byLine.get(line);
    if (!prediction || "error" in prediction) return;
    const scores = [...prediction.classes].sort((a, b) => b.Score - a.Score);
    const top = scores[0];
    const id = `batch-${batchId}-${line + 1}`;
    if (!top || !RECORD_ID_PATTERN.test(id)) return;
    const effective = thresholdOf(top.Name);
    if (routes(top.Score, effective)) return;
    items.push({
      id,
      text,
      predicted_label: top.Name,
      score: top.Score,
      scores: scores.map((c) => ({ label: c.Name, score: c.Score })),
      threshold: effective.threshold,
      received_at: receivedAt.toISOString(),
      source: "batch",
    });
  });
  return items;
}

/** Written a few at a time: a backlog can queue thousands, within the function's minutes. */
export async function enqueueAll(
  s3: S3Client,
  bucket: string,
  items: readonly ReviewItem[],
  parallel = 16,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as ReviewItem;
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: reviewItemKey(item.id),
          Body: JSON.stringify(item),
          ContentType: "application/json",
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
}
