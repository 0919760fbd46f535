/**
 * One uploaded object through the ETL in AWS: download to a private work directory on EFS, convert, upload
 * the training files and the report, tell the pipeline. Clients and settings are passed in (the handler owns
 * them), so the flow is testable with mocked clients.
 */
import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, rm, rmdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Logger } from "@aws-lambda-powertools/logger";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { SNSClient } from "@aws-sdk/client-sns";
import { Upload } from "@aws-sdk/lib-storage";
import { type RunLayout, runLayout } from "../../contract/data-layout";
import type { BaselineArtifacts, BaselineBudget } from "../evaluation/baseline";
import { publishEvent } from "../shared/events";
import { objectExists } from "../shared/objects";
import { InputError } from "./errors";
import { type EtlReport, type EtlSettings, runEtl } from "./etl";
import { type BaselineOutcome, completedEvent, failedEvent, heldBy, sourceDetail } from "./outgoing-events";
import { makeRunId, type SourceObject } from "./source";

export interface EtlDeps {
  readonly s3: S3Client;
  readonly sns: SNSClient;
  readonly logger: Logger;
  readonly topicArn: string;
  readonly workDir: string;
  readonly preppedPrefix: string;
  readonly reportsPrefix: string;
  readonly settings: EtlSettings;
  /** Unique per invocation (the Lambda request id): concurrent duplicate deliveries get separate directories. */
  readonly invocationId?: string;
  /** Below this baseline macro-F1 (0 to 1; 0: no bar), training waits for the operator's command. */
  readonly minBaselineMacroF1?: number;
  /** The local baseline on the run's training data; absent when turned off. */
  readonly baseline?: (
    trainingDataDir: string,
    runId: string,
    budget: BaselineBudget,
  ) => Promise<BaselineArtifacts>;
  /** The invocation's time left (Lambda's context), so the baseline gives up in time to publish. */
  readonly remainingMs?: () => number;
  /** The function's memory in MB (AWS_LAMBDA_FUNCTION_MEMORY_SIZE); the baseline's weights get a share. */
  readonly memoryMb?: number;
}

export type UploadOutcome =
  | { readonly run_id: string; readonly status: "completed"; readonly training_data_uri: string }
  | { readonly run_id: string; readonly status: "already_completed" | "already_rejected" }
  | { readonly run_id: string; readonly status: "rejected"; readonly reason: string };

/** Longer than the 15-minute Lambda timeout: a directory this old belongs to no running invocation. */
const STALE_WORK_DIR_MS = 20 * 60 * 1000;

/**
 * Evaluates the local baseline and stores its files beside the report. A baseline that fails is reported in
 * the email, never in the way of training: the data passed the ETL's checks.
 */
/** Time kept back from the invocation's end for the uploads, the email and the report after the baseline. */
const AFTER_BASELINE_MS = 120_000;
/** The share of the function's memory the baseline's weights may take (the rest: documents, features, ETL). */
const BASELINE_MEMORY_SHARE = 0.25;

async function uploadBaseline(
  deps: EtlDeps,
  bucket: string,
  layout: RunLayout,
  outDir: string,
  runId: string,
  labels: number,
): Promise<BaselineOutcome | undefined> {
  if (!deps.baseline) return undefined;
  // An attempt killed by the memory limit or the timeout cannot be caught; its retry must not repeat it, or
  // training would never start. The marker says an attempt began.
  if (await objectExists(deps.s3, bucket, layout.baseline.attempted)) {
    const error = "an earlier attempt of this run did not finish it (out of memory or time)";
    deps.logger.warn("Baseline skipped: an earlier attempt did not finish", { run_id: runId });
    return { error };
  }
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: layout.baseline.attempted,
      Body: JSON.stringify({ run_id: runId, labels }),
      ContentType: "application/json",
    }),
  );
  try {
    const started = performance.now();
    const artifacts = await deps.baseline(outDir, runId, {
      labels,
      memoryBytes: (deps.memoryMb ?? 4096) * 1024 * 1024 * BASELINE_MEMORY_SHARE,
      ...(deps.remainingMs ? { deadline: Date.now() + deps.remainingMs() - AFTER_BASELINE_MS } : {}),
    });
    const files = [
      [layout.baseline.json, artifacts.json, "application/json"],
      [layout.baseline.html, artifacts.html, "text/html; charset=utf-8"],
      [layout.baseline.svg, artifacts.svg, "image/svg+xml"],
    ] as const;
    for (const [Key, Body, ContentType] of files) {
      await deps.s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body, ContentType }));
    }
    deps.logger.info("Baseline evaluated", {
      macro_f1: artifacts.summary.macro_f1,
      documents: artifacts.summary.documents,
      ms: Math.round(performance.now() - started),
    });
    return { ...artifacts.summary, page_uri: `s3://${bucket}/${layout.baseline.html}` };
  } catch (error) {
    deps.logger.warn("Baseline evaluation failed; training goes ahead without it", {
      error: (error as Error).message,
    });
    return { error: (error as Error).message };
  }
}

/** Where a run's files are made: the work directory and, in it, the output and scratch directories. */
export interface RunDirs {
  readonly workDir: string;
  readonly outDir: string;
  readonly scratchDir: string;
}

/**
 * What turns the source into training files in `outDir`; an InputError is the source's fault and is emailed.
 * The default downloads the upload and runs the ETL; a retraining request builds its set instead.
 */
export type PrepareRun = (source: SourceObject, dirs: RunDirs, deps: EtlDeps) => Promise<EtlReport>;

const prepareUpload: PrepareRun = async (source, dirs, deps) => {
  const inputPath = join(dirs.workDir, `input${source.key.match(/\.[^./]+$/)?.[0]?.toLowerCase() ?? ""}`);
  await download(deps.s3, source, inputPath);
  deps.logger.info("Downloaded upload", { bytes: (await stat(inputPath)).size });
  return runEtl({
    inputPath,
    inputName: source.key,
    outDir: dirs.outDir,
    workDir: dirs.scratchDir,
    settings: deps.settings,
  });
};

export async function processUpload(
  source: SourceObject,
  deps: EtlDeps,
  prepare: PrepareRun = prepareUpload,
): Promise<UploadOutcome> {
  const runId = makeRunId(source);
  const { logger } = deps;
  logger.appendKeys({ run_id: runId, source_key: source.key });
  const layout = runLayout({ prepped: deps.preppedPrefix, reports: deps.reportsPrefix, output: "" }, runId);
  const { reportKey, rejectedKey: rejectionKey, trainingDataPrefix: trainingPrefix } = layout;
  const run = {
    runId,
    trainingDataUri: `s3://${source.bucket}/${trainingPrefix}`,
    testDataUri: `s3://${source.bucket}/${layout.testDataKey}`,
    reportUri: `s3://${source.bucket}/${reportKey}`,
  };

  if (await objectExists(deps.s3, source.bucket, reportKey)) {
    logger.info("Run already completed by an earlier delivery of this upload; nothing to do", {
      report_key: reportKey,
    });
    return { run_id: runId, status: "already_completed" };
  }
  if (await objectExists(deps.s3, source.bucket, rejectionKey)) {
    logger.info("Upload already rejected by an earlier delivery; the operator was told", {
      rejection_key: rejectionKey,
    });
    return { run_id: runId, status: "already_rejected" };
  }

  await sweepStaleWorkDirs(deps.workDir, logger);
  const runDir = join(deps.workDir, runId);
  // A retry can reuse the request id of an attempt that was killed mid-run: add randomness.
  const workDir = join(runDir, `${deps.invocationId ?? "run"}-${randomUUID().slice(0, 8)}`);
  const outDir = join(workDir, "out");
  const scratchDir = join(workDir, "scratch");
  try {
    await mkdir(outDir, { recursive: true });
    await mkdir(scratchDir, { recursive: true });
    let report: EtlReport;
    try {
      report = await prepare(source, { workDir, outDir, scratchDir }, deps);
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      logger.warn("Upload rejected", { reason: error.message });
      await publishEvent(
        deps.sns,
        deps.topicArn,
        failedEvent(source, runId, error.message, prepare === prepareUpload ? "upload" : "retraining"),
      );
      // Written after publishing, like the report: it stops a redelivery of the same upload from emailing again.
      await deps.s3.send(
        new PutObjectCommand({
          Bucket: source.bucket,
          Key: rejectionKey,
          Body: JSON.stringify(
            { run_id: runId, source: sourceDetail(source), reason: error.message },
            null,
            2,
          ),
          ContentType: "application/json",
        }),
      );
      return { run_id: runId, status: "rejected", reason: error.message };
    }

    for (const file of report.output.files) {
      await uploadFile(
        deps.s3,
        source.bucket,
        `${trainingPrefix}${file.name}`,
        join(outDir, file.name),
        "text/csv",
      );
    }
    if (report.test_set) {
      await uploadFile(
        deps.s3,
        source.bucket,
        layout.testDataKey,
        join(outDir, report.test_set.file),
        "text/csv",
      );
    }
    const baseline = await uploadBaseline(deps, source.bucket, layout, outDir, runId, report.label_count);
    // Publish before writing the report: the report marks a finished run, so a failure in between makes the
    // retry publish again (the train function is idempotent per run id) instead of never publishing.
    const held = heldBy(baseline, deps.minBaselineMacroF1 ?? 0);
    if (held) logger.warn("Training held: the baseline is below the bar", { reason: held });
    await publishEvent(deps.sns, deps.topicArn, completedEvent(source, run, report, baseline, held));
    const fullReport = {
      run_id: runId,
      source: sourceDetail(source),
      training_data_uri: run.trainingDataUri,
      ...report,
    };
    await new Upload({
      client: deps.s3,
      params: {
        Bucket: source.bucket,
        Key: reportKey,
        Body: JSON.stringify(fullReport, null, 2),
        ContentType: "application/json",
      },
    }).done();
    logger.info("ETL completed", {
      document_count: report.document_count,
      label_count: report.label_count,
      output_bytes: report.output.bytes,
      duration_ms: report.timing_ms.total,
    });
    return { run_id: runId, status: "completed", training_data_uri: run.trainingDataUri };
  } finally {
    await rm(workDir, { recursive: true, force: true });
    // A concurrent duplicate may still be using the run directory.
    await rmdir(runDir).catch(() => undefined);
  }
}

export async function download(s3: S3Client, source: SourceObject, path: string): Promise<void> {
  let body: unknown;
  try {
    const output = await s3.send(
      new GetObjectCommand({
        Bucket: source.bucket,
        Key: source.key,
        // The exact version that was uploaded; without versioning, insist on the notified content.
        ...(source.versionId ? { VersionId: source.versionId } : source.eTag ? { IfMatch: source.eTag } : {}),
      }),
    );
    body = output.Body;
  } catch (error) {
    const name = (error as Error).name;
    if (name === "NoSuchKey" || name === "NoSuchVersion" || name === "PreconditionFailed") {
      throw new InputError(
        `the upload s3://${source.bucket}/${source.key} is gone or was replaced (${name})`,
        {
          cause: error,
        },
      );
    }
    throw error;
  }
  if (!(body instanceof Readable)) throw new Error("S3 GetObject returned no readable body");
  await pipeline(body, createWriteStream(path));
}

export async function uploadFile(
  s3: S3Client,
  bucket: string,
  key: string,
  path: string,
  contentType: string,
): Promise<void> {
  await new Upload({
    client: s3,
    params: { Bucket: bucket, Key: key, Body: createReadStream(path), ContentType: contentType },
    // 16 MiB parts, 2 at a time: at most ~32 MiB buffered whatever the file size.
    partSize: 16 * 1024 * 1024,
    queueSize: 2,
  }).done();
}

/** Invocations killed by the timeout never reach their `finally`; their directories would fill EFS. */
async function sweepStaleWorkDirs(workRoot: string, logger: Logger): Promise<void> {
  const now = Date.now();
  let runs: string[];
  try {
    runs = await readdir(workRoot);
  } catch {
    return;
  }
  for (const run of runs) {
    const runDir = join(workRoot, run);
    let invocations: string[];
    try {
      invocations = await readdir(runDir);
    } catch {
      continue;
    }
    for (const invocation of invocations) {
      const dir = join(runDir, invocation);
      const info = await stat(dir).catch(() => undefined);
      if (info && now - info.mtimeMs > STALE_WORK_DIR_MS) {
        logger.warn("Removing a work directory left by an interrupted invocation", { dir });
        await rm(dir, { recursive: true, force: true });
      }
    }
    await rmdir(runDir).catch(() => undefined);
  }
}
