/**
 * Stores a correction and, when it answers a queued ticket, takes the ticket off the queue: the correction is
 * written first, so a failure in between leaves a ticket answered twice at worst, never an answer lost.
 */
import { randomUUID } from "node:crypto";
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { type Correction, correctionKey, type ReviewItem, reviewItemKey } from "../../contract/review";
import { RequestError } from "../classify/core";
import type { CorrectionRequest } from "./core";

export interface RecordDeps {
  readonly s3: S3Client;
  readonly bucket: string;
  /** The labels the served model was trained on; undefined when they cannot be read. */
  readonly knownLabels: () => Promise<ReadonlySet<string> | undefined>;
  readonly now: () => Date;
  readonly newId?: () => string;
}

export interface Recorded {
  readonly correction: Correction;
  readonly key: string;
  /** False when the model's labels could not be read: the correction is stored, its novelty unknown. */
  readonly labelsKnown: boolean;
}

async function queuedItem(deps: RecordDeps, id: string): Promise<ReviewItem> {
  try {
    const object = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: reviewItemKey(id) }));
    return JSON.parse((await object.Body?.transformToString("utf-8")) ?? "") as ReviewItem;
  } catch (error) {
    if ((error as Error).name === "NoSuchKey") {
      throw new RequestError(
        `No queued ticket has the id ${id}: it was answered already or has expired`,
        404,
      );
    }
    throw error;
  }
}

export async function recordCorrection(
  deps: RecordDeps,
  request: CorrectionRequest,
  source: Correction["source"],
): Promise<Recorded> {
  const item = request.kind === "review" ? await queuedItem(deps, request.reviewId) : undefined;
  const labels = await deps.knownLabels();
  const correction: Correction = {
    id: (deps.newId ?? randomUUID)(),
    text: item ? item.text : (request as { text: string }).text,
    label: request.label,
    corrected_at: deps.now().toISOString(),
    source,
    ...(item && { review_id: item.id, predicted_label: item.predicted_label }),
    new_label: labels !== undefined && !labels.has(request.label),
  };
  const key = correctionKey(correction);
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: deps.bucket,
      Key: key,
      Body: JSON.stringify(correction),
      ContentType: "application/json",
    }),
  );
  if (item) await deps.s3.send(new DeleteObjectCommand({ Bucket: deps.bucket, Key: reviewItemKey(item.id) }));
  return { correction, key, labelsKnown: labels !== undefined };
}
