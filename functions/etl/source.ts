/**
 * Which uploaded object a notification is about, and the run id derived from it. Pure: no AWS calls.
 */
import { createHash } from "node:crypto";
import type { S3Event } from "aws-lambda";
import { RUN_HASH_LENGTH, RUN_SLUG_MAX_LENGTH } from "../../contract/data-layout";
import { decodeS3Key } from "../shared/s3";

export interface SourceObject {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  readonly eTag?: string;
  readonly size?: number;
}

/** Keys in S3 event notifications are URL-encoded with `+` for spaces. */

export function parseS3Event(event: S3Event): SourceObject[] {
  return (event.Records ?? [])
    .filter((record) => record.eventName?.startsWith("ObjectCreated:") && record.s3?.object?.key)
    .map((record) => ({
      bucket: record.s3.bucket.name,
      key: decodeS3Key(record.s3.object.key),
      ...(record.s3.object.versionId ? { versionId: record.s3.object.versionId } : {}),
      ...(record.s3.object.eTag ? { eTag: record.s3.object.eTag } : {}),
      ...(record.s3.object.size !== undefined ? { size: record.s3.object.size } : {}),
    }));
}

/** The notification is scoped to raw_data/*.zip and *.csv; anything else reaching us is a wiring mistake. */
export function isDatasetKey(key: string): boolean {
  return /\.(zip|csv)$/i.test(key);
}

const SLUG_MAX = RUN_SLUG_MAX_LENGTH;

/**
 * `<slug>-<12 hex>`: readable, at most 37 characters of [a-z0-9-] (the train function prefixes it to name the
 * Comprehend classifier), and the same for every delivery of one object version, so S3's duplicate
 * deliveries map to one run.
 */
export function makeRunId(source: SourceObject): string {
  const base = (source.key.split("/").pop() ?? "").replace(/\.[^.]*$/, "");
  const slug =
    base
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, SLUG_MAX)
      .replace(/-+$/, "") || "dataset";
  const version = source.versionId ?? source.eTag ?? "";
  const hash = createHash("sha256")
    .update(`${source.bucket}\n${source.key}\n${version}`)
    .digest("hex")
    .slice(0, RUN_HASH_LENGTH);
  return `${slug}-${hash}`;
}
