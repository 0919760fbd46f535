/**
 * The review queue as the local review page sees it: the queued tickets in the data bucket (oldest first) and
 * where an answer goes. The S3 store uses the operator's own credentials; tests use the in-memory one.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from "@aws-sdk/client-s3";
import { DATA_PREFIXES } from "../../contract/data-layout";
import { type Correction, correctionKey, type ReviewItem, reviewItemKey } from "../../contract/review";

export interface ReviewStore {
  /** Ids of the queued tickets, oldest first. */
  queued(): Promise<string[]>;
  item(id: string): Promise<ReviewItem | undefined>;
  /** Stores the correction, then takes the ticket off the queue. */
  answer(item: ReviewItem, correction: Correction): Promise<void>;
  /** Where answers go, for the page's footer. */
  readonly description: string;
}

export function s3ReviewStore(s3: S3Client, bucket: string): ReviewStore {
  return {
    description: `s3://${bucket}/${DATA_PREFIXES.reviewQueue}`,
    async queued() {
      const found: { id: string; at: number }[] = [];
      for await (const page of paginateListObjectsV2(
        { client: s3 },
        { Bucket: bucket, Prefix: DATA_PREFIXES.reviewQueue },
      )) {
        for (const object of page.Contents ?? []) {
          const name = object.Key?.slice(DATA_PREFIXES.reviewQueue.length) ?? "";
          if (name.endsWith(".json") && !name.includes("/")) {
            found.push({ id: name.slice(0, -".json".length), at: object.LastModified?.getTime() ?? 0 });
          }
        }
      }
      return found.sort((a, b) => a.at - b.at || a.id.localeCompare(b.id)).map((f) => f.id);
    },
    async item(id) {
      try {
        const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: reviewItemKey(id) }));
        return JSON.parse((await object.Body?.transformToString("utf-8")) ?? "") as ReviewItem;
      } catch (error) {
        if ((error as Error).name === "NoSuchKey") return undefined;
        throw error;
      }
    },
    async answer(item, correction) {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: correctionKey(correction),
          Body: JSON.stringify(correction),
          ContentType: "application/json",
        }),
      );
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: reviewItemKey(item.id) }));
    },
  };
}

/** The queue in memory: for tests and the benchmark. */
export function memoryReviewStore(items: readonly ReviewItem[]): ReviewStore & { corrections: Correction[] } {
  const queue = new Map(items.map((item) => [item.id, item]));
  const corrections: Correction[] = [];
  return {
    description: "memory",
    corrections,
    queued: async () =>
      [...queue.values()].sort((a, b) => a.received_at.localeCompare(b.received_at)).map((i) => i.id),
    item: async (id) => queue.get(id),
    answer: async (item, correction) => {
      corrections.push(correction);
      queue.delete(item.id);
    },
  };
}
