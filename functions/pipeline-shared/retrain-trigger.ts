/**
 * retrain_after_corrections: once that many corrections arrived since the last retraining request, ask for the
 * next version (a request under retrain_input/, which the ETL turns into a training set). Called after every
 * correction the API stores and by the weekly check, which also counts imported exports and the review page's
 * answers. Two callers that reach the count together write the same key, and S3's conditional write lets one
 * win ("If-None-Match: *", PutObject, Amazon S3 API Reference), so one count starts one training.
 */
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { DATA_PREFIXES } from "../../contract/data-layout";
import { RETRAIN_RUN_PREFIX, type RetrainRequest } from "../../contract/retraining";
import { listObjects, readText } from "../shared/objects";

export interface RetrainTriggerDeps {
  readonly s3: S3Client;
  readonly bucket: string;
  /** 0: never on its own. */
  readonly afterCorrections: number;
  readonly servedClassifierArn: string;
  readonly now: () => Date;
}

export type RetrainTriggerOutcome =
  | { readonly requested: false; readonly new_corrections: number; readonly needed: number }
  | { readonly requested: true; readonly new_corrections: number; readonly key: string };

/** The automatic requests' keys: numbered, so that two callers counting the same corrections pick the same one. */
export function automaticRequestKey(sequence: number): string {
  return `${DATA_PREFIXES.retrainInput}${RETRAIN_RUN_PREFIX}auto-${String(sequence).padStart(4, "0")}.json`;
}
const AUTOMATIC_REQUEST = new RegExp(`^${DATA_PREFIXES.retrainInput}retrain-auto-(\\d+)\\.json$`);

async function countLines(s3: S3Client, bucket: string, key: string): Promise<number> {
  return (await readText(s3, bucket, key)).split("\n").filter((line) => line.trim() !== "").length;
}

/** Counts the corrections stored since the last request and asks for retraining once there are enough. */
export async function requestRetrainingIfDue(deps: RetrainTriggerDeps): Promise<RetrainTriggerOutcome> {
  const requests = await listObjects(deps.s3, deps.bucket, DATA_PREFIXES.retrainInput);
  const since = Math.max(0, ...requests.map((r) => r.modified.getTime()));
  let count = 0;
  // Corrections are stored under their day (corrections/<yyyy-mm-dd>/), imports under corrections/csv/, which
  // sorts after every day: listing from the day before the last request skips the older days' objects.
  const dayBefore = new Date(since - 86_400_000).toISOString().slice(0, 10);
  const startAfter = since > 0 ? `${DATA_PREFIXES.corrections}${dayBefore}` : undefined;
  for (const object of await listObjects(deps.s3, deps.bucket, DATA_PREFIXES.corrections, startAfter)) {
    if (object.modified.getTime() <= since) continue;
    if (object.key.endsWith(".jsonl")) count += await countLines(deps.s3, deps.bucket, object.key);
    else if (object.key.endsWith(".json")) count += 1;
  }
  if (deps.afterCorrections <= 0 || count < deps.afterCorrections) {
    return { requested: false, new_corrections: count, needed: deps.afterCorrections };
  }
  // Numbered after the highest automatic request: a deleted request must not make the next number taken.
  const numbers = requests.map((r) => AUTOMATIC_REQUEST.exec(r.key)?.[1]).filter((n) => n !== undefined);
  const key = automaticRequestKey(Math.max(0, ...numbers.map(Number)) + 1);
  const request: RetrainRequest = {
    served_classifier_arn: deps.servedClassifierArn,
    requested_at: deps.now().toISOString(),
    requested_by: "corrections",
    new_corrections: count,
  };
  try {
    await deps.s3.send(
      new PutObjectCommand({
        Bucket: deps.bucket,
        Key: key,
        Body: JSON.stringify(request, null, 2),
        ContentType: "application/json",
        IfNoneMatch: "*",
      }),
    );
  } catch (error) {
    // Another caller counted the same corrections a moment earlier: its request stands.
    // 412: written already; 409: being written right now (S3's conditional writes). Either way one request.
    if (!["PreconditionFailed", "ConditionalRequestConflict"].includes((error as Error).name)) throw error;
    return { requested: false, new_corrections: count, needed: deps.afterCorrections };
  }
  return { requested: true, new_corrections: count, key };
}
