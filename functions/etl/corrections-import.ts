/**
 * A ticket export under corrections_input/ (the weekly export of closed tickets, with the group agents finally
 * gave them) becomes corrections: read with the ETL's own CSV handling (encodings, delimiter, the
 * csv_label_column and csv_text_columns settings, label variants), one correction per ticket, written as JSON
 * Lines beside the API's corrections. A redelivery of the same upload finds its output and does nothing.
 */
import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { SNSClient } from "@aws-sdk/client-sns";
import { parse } from "csv-parse";
import { RETRAIN_COMMAND } from "../../contract/retraining";
import { type Correction, importedCorrectionsKey } from "../../contract/review";
import { publishEvent } from "../shared/events";
import { objectExists } from "../shared/objects";
import { InputError } from "./errors";
import { type EtlSettings, runEtl } from "./etl";
import { makeRunId, type SourceObject } from "./source";
import { TICKETS_FILE } from "./ticket-csv";

export interface ImportDeps {
  readonly s3: S3Client;
  readonly sns: SNSClient;
  readonly topicArn: string;
  readonly workDir: string;
  readonly settings: EtlSettings;
  readonly now: () => Date;
}

export type ImportOutcome =
  | {
      readonly run_id: string;
      readonly status: "imported";
      readonly corrections: number;
      readonly key: string;
    }
  | { readonly run_id: string; readonly status: "already_imported" }
  | { readonly run_id: string; readonly status: "rejected"; readonly reason: string };

/** The records the ETL writes (`label,text`, RFC 4180) back into label and text. */
async function readRecords(path: string): Promise<{ label: string; text: string }[]> {
  const records: { label: string; text: string }[] = [];
  for await (const [label, text] of createReadStream(path).pipe(parse({ relax_column_count: false }))) {
    records.push({ label, text });
  }
  return records;
}

export async function importCorrections(source: SourceObject, deps: ImportDeps): Promise<ImportOutcome> {
  const runId = makeRunId(source);
  const key = importedCorrectionsKey(runId);
  if (await objectExists(deps.s3, source.bucket, key)) return { run_id: runId, status: "already_imported" };
  const location = `s3://${source.bucket}/${source.key}`;
  const dir = join(deps.workDir, `corrections-${runId}-${randomUUID().slice(0, 8)}`);
  try {
    await mkdir(join(dir, "out"), { recursive: true });
    await mkdir(join(dir, "scratch"), { recursive: true });
    const input = join(dir, "export.csv");
    const object = await deps.s3.send(
      new GetObjectCommand({ Bucket: source.bucket, Key: source.key, VersionId: source.versionId }),
    );
    // In Node the body is a readable stream (the SDK's mixin on top): streamed to disk as the ETL does.
    await pipeline(object.Body as Readable, createWriteStream(input));
    let report: Awaited<ReturnType<typeof runEtl>>;
    try {
      // Every ticket counts: no per-label minimum and no test share; one label is as good as many.
      report = await runEtl({
        inputPath: input,
        inputName: source.key,
        outDir: join(dir, "out"),
        workDir: join(dir, "scratch"),
        settings: { ...deps.settings, minDocsPerLabel: 1, testShare: 0 },
        limits: { minLabels: 1 },
      });
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      await publishEvent(deps.sns, deps.topicArn, {
        eventType: "corrections_failed",
        subject: `Corrections not imported: ${source.key.split("/").pop()}`,
        text: `The export ${location} could not be read as corrections:\n\n  ${error.message}\n\nNothing was imported. Fix the export and upload it again; npm run etl -- --input <file> --out <dir> --min-docs-per-label 1 reads it the same way.`,
        detail: { run_id: runId, reason: error.message, source_key: source.key },
      });
      return { run_id: runId, status: "rejected", reason: error.message };
    }
    const correctedAt = deps.now().toISOString();
    const records = await readRecords(join(dir, "out", TICKETS_FILE));
    const lines = records.map((record, index) =>
      JSON.stringify({
        id: `${runId}-${index + 1}`,
        text: record.text,
        label: record.label,
        corrected_at: correctedAt,
        source: "csv",
      } satisfies Correction),
    );
    await deps.s3.send(
      new PutObjectCommand({
        Bucket: source.bucket,
        Key: key,
        Body: `${lines.join("\n")}\n`,
        ContentType: "application/x-ndjson",
      }),
    );
    const labels = Object.entries(report.label_counts)
      .sort(([, a], [, b]) => b - a)
      .map(([label, n]) => `  ${label}: ${n}`);
    const dropped = report.dropped.empty + report.dropped.no_label;
    await publishEvent(deps.sns, deps.topicArn, {
      eventType: "corrections_imported",
      subject: `Corrections imported: ${records.length} tickets from ${source.key.split("/").pop()}`,
      text: [
        `${records.length} corrections from ${location} are stored as s3://${source.bucket}/${key} for the next training set.`,
        "",
        "Per label:",
        ...labels,
        ...(dropped > 0 ? ["", `Left out: ${dropped} rows without text or label.`] : []),
        ...report.warnings.map((warning) => `Warning: ${warning}.`),
        "",
        `To train the next version of the served model on every correction so far, run from the project directory: ${RETRAIN_COMMAND}`,
        "(or let retrain_after_corrections do it once enough have come in).",
      ].join("\n"),
      detail: { run_id: runId, corrections: records.length, key, label_counts: report.label_counts },
    });
    return { run_id: runId, status: "imported", corrections: records.length, key };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
