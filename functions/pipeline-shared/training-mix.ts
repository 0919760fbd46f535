/**
 * The served model's training documents per label, from the report of the run that trained it (the ETL's
 * report.json, label_counts): what the drift check compares with, and what tells a correction's label is new.
 */
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { parseClassifierArn } from "../../contract/arns";
import { runLayout } from "../../contract/data-layout";
import { runOf } from "./naming";

export type LabelCounts = Readonly<Record<string, number>>;

/** A served model whose training mix cannot be found: said once, by name, in the function's error. */
export class TrainingMixUnavailable extends Error {
  override readonly name = "TrainingMixUnavailable";
}

export interface ServedModel {
  readonly classifierArn: string;
  readonly namePrefix: string;
  readonly bucket: string;
  readonly reportsPrefix: string;
}

export async function readTrainingMix(s3: S3Client, model: ServedModel): Promise<LabelCounts> {
  // A retrained version's run is its version name, not the first run in its classifier's name.
  const parts = parseClassifierArn(model.classifierArn);
  const runId = parts && runOf(model.namePrefix, parts);
  if (!runId) {
    throw new TrainingMixUnavailable(
      `The served classifier ${model.classifierArn} was not trained by this app (${model.namePrefix}--<run>), so its training data's label mix is unknown`,
    );
  }
  const key = runLayout({ prepped: "", reports: model.reportsPrefix, output: "" }, runId).reportKey;
  let body: string;
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: model.bucket, Key: key }));
    body = (await object.Body?.transformToString("utf-8")) ?? "";
  } catch (cause) {
    throw new TrainingMixUnavailable(
      `Cannot read the served model's run report s3://${model.bucket}/${key}: ${(cause as Error).message}`,
      { cause },
    );
  }
  const counts = (JSON.parse(body) as { label_counts?: unknown }).label_counts;
  if (typeof counts !== "object" || counts === null || Object.keys(counts).length === 0) {
    throw new TrainingMixUnavailable(`s3://${model.bucket}/${key} has no label_counts`);
  }
  return counts as LabelCounts;
}
