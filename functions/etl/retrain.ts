/**
 * A retraining request (`retrain_input/*.json`) -> the served run's training and test files and every
 * correction, from the bucket -> the retraining set, through the same checks, baseline and `etl_completed` as an
 * upload. The event names the served classifier, so the train function makes the new model a version of it.
 */
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { parseClassifierArn } from "../../contract/arns";
import { DATA_PREFIXES, runLayout } from "../../contract/data-layout";
import type { RetrainRequest } from "../../contract/retraining";
import type { Correction } from "../../contract/review";
import { runIdFromClassifierName, runOf } from "../pipeline-shared/naming";
import { listObjects, readText } from "../shared/objects";
import { InputError } from "./errors";
import type { EtlReport } from "./etl";
import type { EtlDeps, PrepareRun, RunDirs } from "./process-upload";
import { buildRetrainingSet, type LabelledCorrection, type ServedModel } from "./retraining-set";
import type { SourceObject } from "./source";

/** Correction objects are small and many: fetched this many at a time. */
const CORRECTION_READS_AT_ONCE = 16;

/** The served model a request names, when it is one of this app's classifiers. */
export function servedModelOf(request: unknown, namePrefix: string): ServedModel {
  const arn = (request as Partial<RetrainRequest> | null)?.served_classifier_arn;
  if (typeof arn !== "string") {
    throw new InputError('the request has no "served_classifier_arn": write it with npm run retrain');
  }
  const parts = parseClassifierArn(arn);
  const lineage = parts && runIdFromClassifierName(namePrefix, parts.name);
  if (!parts || !lineage) {
    throw new InputError(
      `${arn} is not a classifier this app trained (${namePrefix}--<run>): retraining builds on the served model's own training data`,
    );
  }
  // A retraining's version is named by its run; any other version stands for the run in the name.
  const runId = runOf(namePrefix, parts) as string;
  return { classifier_arn: arn, classifier_name: parts.name, run_id: runId };
}

/** One correction record, or undefined for a record that is not one (counted and skipped, never fatal). */
function labelled(record: unknown): LabelledCorrection | undefined {
  const c = record as Partial<Correction> | null;
  if (typeof c?.text !== "string" || typeof c.label !== "string" || typeof c.corrected_at !== "string")
    return undefined;
  return { text: c.text, label: c.label, corrected_at: c.corrected_at };
}

/** Every stored correction: single objects from the API and the review page, JSON Lines from imports. */
export async function* readCorrections(
  s3: S3Client,
  bucket: string,
  skipped: { count: number },
): AsyncGenerator<LabelledCorrection> {
  const keys = (await listObjects(s3, bucket, DATA_PREFIXES.corrections))
    .map((object) => object.key)
    .filter((key) => /\.jsonl?$/.test(key));
  for (let at = 0; at < keys.length; at += CORRECTION_READS_AT_ONCE) {
    const batch = keys.slice(at, at + CORRECTION_READS_AT_ONCE);
    const texts = await Promise.all(batch.map((key) => readText(s3, bucket, key)));
    for (const [i, text] of texts.entries()) {
      const lines = batch[i]?.endsWith(".jsonl") ? text.split("\n").filter((l) => l.trim() !== "") : [text];
      for (const line of lines) {
        let correction: LabelledCorrection | undefined;
        try {
          correction = labelled(JSON.parse(line));
        } catch {
          correction = undefined;
        }
        if (correction) yield correction;
        else skipped.count++;
      }
    }
  }
}

async function downloadTo(s3: S3Client, bucket: string, key: string, path: string): Promise<void> {
  const output = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!(output.Body instanceof Readable)) throw new Error(`S3 returned no readable body for ${key}`);
  await pipeline(output.Body, createWriteStream(path));
}

/** Builds the retraining set a request asks for; plugs into processUpload in place of the upload's ETL. */
export function prepareRetraining(namePrefix: string): PrepareRun {
  return async (source: SourceObject, dirs: RunDirs, deps: EtlDeps): Promise<EtlReport> => {
    let request: unknown;
    try {
      request = JSON.parse(await readText(deps.s3, source.bucket, source.key, source.versionId));
    } catch (error) {
      if (error instanceof SyntaxError) {
        throw new InputError(`the request is not JSON (${error.message})`, { cause: error });
      }
      throw error;
    }
    const served = servedModelOf(request, namePrefix);
    const layout = runLayout(
      { prepped: deps.preppedPrefix, reports: deps.reportsPrefix, output: "" },
      served.run_id,
    );
    const trainingKeys = (await listObjects(deps.s3, source.bucket, layout.trainingDataPrefix))
      .map((o) => o.key)
      .filter((key) => key.endsWith(".csv"));
    if (trainingKeys.length === 0) {
      throw new InputError(
        `the served run ${served.run_id} has no training data left under s3://${source.bucket}/${layout.trainingDataPrefix}; upload its export again to start a new line of versions`,
      );
    }
    const trainingFiles: string[] = [];
    for (const [i, key] of trainingKeys.entries()) {
      const path = join(dirs.scratchDir, `served-${i}.csv`);
      await downloadTo(deps.s3, source.bucket, key, path);
      trainingFiles.push(path);
    }
    const testFile = join(dirs.scratchDir, "served.test.csv");
    let hasTest = true;
    try {
      await downloadTo(deps.s3, source.bucket, layout.testDataKey, testFile);
    } catch (error) {
      if ((error as Error).name !== "NoSuchKey") throw error;
      hasTest = false;
    }
    const skipped = { count: 0 };
    const report = await buildRetrainingSet({
      served,
      trainingFiles,
      testFile: hasTest ? testFile : undefined,
      corrections: readCorrections(deps.s3, source.bucket, skipped),
      outDir: dirs.outDir,
      settings: {
        minDocsPerLabel: deps.settings.minDocsPerLabel,
        maxDocBytes: deps.settings.maxDocBytes,
        testShare: deps.settings.testShare ?? 0.1,
      },
    });
    deps.logger.info("Retraining set built", { ...report.retraining, skipped_corrections: skipped.count });
    return skipped.count > 0
      ? {
          ...report,
          warnings: [
            ...report.warnings,
            `${skipped.count} stored correction records were not corrections (no text, label or time) and were skipped`,
          ],
        }
      : report;
  };
}
