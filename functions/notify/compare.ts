/** The notify function's comparison: Comprehend's confusion matrix from S3, the baseline's figures, both written. */
import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { runLayout } from "../../contract/data-layout";
import type { Evaluation } from "../evaluation/evaluate";
import type { NotifyConfig } from "./config";
import { comprehendEvaluation, type ModelComparison, readComprehendConfusion } from "./model-report";

export type RenderPage = (evaluation: Evaluation, title: string, note?: string) => Promise<{ html: string }>;

async function readObject(s3: S3Client, bucket: string, key: string): Promise<Uint8Array | undefined> {
  try {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await object.Body?.transformToByteArray();
  } catch (error) {
    if (error instanceof NoSuchKey || (error as Error).name === "NoSuchKey") return undefined;
    throw error;
  }
}

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

export function s3Comparison(s3: S3Client, config: NotifyConfig, render: RenderPage) {
  return async (
    bucket: string,
    outputKey: string,
    runId: string,
    classifierArn: string,
  ): Promise<ModelComparison> => {
    const archive = await readObject(s3, bucket, outputKey);
    if (!archive) throw new Error(`s3://${bucket}/${outputKey} is gone`);
    const evaluation = comprehendEvaluation(await readComprehendConfusion(archive), classifierArn);
    const layout = runLayout(
      { prepped: "", reports: config.reportsPrefix, output: config.outputPrefix },
      runId,
    );
    const baselineJson = await readObject(s3, bucket, layout.baseline.json);
    const baseline = baselineJson
      ? (JSON.parse(Buffer.from(baselineJson).toString("utf8")) as {
          metrics?: { macroF1?: number; accuracy?: number };
        })
      : undefined;
    const baselineMacroF1 = baseline?.metrics?.macroF1 ?? null;
    const note =
      baselineMacroF1 === null
        ? "No local baseline ran for this run."
        : `Local baseline before training (evaluation.html beside this page): macro-F1 ${percent(baselineMacroF1)}, accuracy ${percent(baseline?.metrics?.accuracy ?? 0)}. Comprehend: macro-F1 ${percent(evaluation.metrics.macroF1)}.`;
    const page = await render(evaluation, `Run ${runId}: the trained Comprehend model`, note);
    const report = {
      run_id: runId,
      classifier_arn: classifierArn,
      baseline_macro_f1: baselineMacroF1,
      ...evaluation,
    };
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: layout.model.json,
        Body: `${JSON.stringify(report, null, 2)}\n`,
        ContentType: "application/json",
      }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: layout.model.html,
        Body: page.html,
        ContentType: "text/html; charset=utf-8",
      }),
    );
    return {
      comprehend_macro_f1: evaluation.metrics.macroF1,
      comprehend_accuracy: evaluation.metrics.accuracy,
      baseline_macro_f1: baselineMacroF1,
      page_uri: `s3://${bucket}/${layout.model.html}`,
    };
  };
}
