/**
 * A low-score answer goes to the review queue: the text, what the model said and how sure it was, so that a
 * person can give the right label (which then becomes a correction). Confident answers are not stored.
 */
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { RECORD_ID_PATTERN, type ReviewItem, reviewItemKey } from "../../contract/review";
import { type EffectiveThreshold, routes } from "../pipeline-shared/routing-thresholds";
import type { ClassScore } from "./core";

export function reviewItemFor(
  text: string,
  classes: readonly ClassScore[],
  thresholdOf: (label: string) => EffectiveThreshold,
  requestId: string,
  now: Date,
): ReviewItem | undefined {
  const top = classes[0];
  if (!top || !RECORD_ID_PATTERN.test(requestId)) return undefined;
  const { threshold } = thresholdOf(top.Name);
  if (routes(top.Score, { threshold, source: "label" })) return undefined;
  return {
    id: requestId,
    text,
    predicted_label: top.Name,
    score: top.Score,
    scores: classes.map((c) => ({ label: c.Name, score: c.Score })),
    threshold,
    received_at: now.toISOString(),
    source: "api",
    api_request_id: requestId,
  };
}

/** Stored under the bucket's default encryption (the app key); expired by the bucket's lifecycle rule. */
export async function enqueue(s3: S3Client, bucket: string, item: ReviewItem): Promise<string> {
  const key = reviewItemKey(item.id);
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: JSON.stringify(item),
      ContentType: "application/json",
    }),
  );
  return key;
}
