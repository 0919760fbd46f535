/**
 * What the operator reads (email text) and what subscribed functions parse (event detail), built from the
 * ETL report. Pure.
 */
import { RETRAIN_COMMAND } from "../../contract/retraining";
import type { BaselineSummary } from "../evaluation/baseline";
import { labelsByDocumentCount } from "../shared/labels";
import type { EtlReport } from "./etl";
import type { RetrainingSummary } from "./retraining-set";
import type { SourceObject } from "./source";

export interface RunLocation {
  readonly runId: string;
  readonly trainingDataUri: string;
  /** Where the fixed test set goes when the run has one. */
  readonly testDataUri?: string;
  readonly reportUri: string;
}

export function sourceDetail(source: SourceObject) {
  return {
    bucket: source.bucket,
    key: source.key,
    version_id: source.versionId ?? null,
    etag: source.eTag ?? null,
  };
}

/** The baseline's figures and page, or why there are none. */
export type BaselineOutcome = (BaselineSummary & { readonly page_uri: string }) | { readonly error: string };

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

function baselineLines(baseline: BaselineOutcome | undefined): string[] {
  if (!baseline) return [];
  if ("error" in baseline) return ["", `No baseline this time (${baseline.error}); training goes ahead.`];
  const sample = baseline.sampled_from > baseline.documents ? ` (a sample of ${baseline.sampled_from})` : "";
  return [
    "",
    `Baseline before training: a local linear model on ${baseline.documents} documents${sample} (${baseline.split}):`,
    `  Accuracy ${percent(baseline.accuracy)}, macro-F1 ${percent(baseline.macro_f1)}, weighted F1 ${percent(baseline.weighted_f1)}`,
    `  Weakest labels: ${baseline.weakest_labels.map((l) => `${l.label} (F1 ${percent(l.f1)})`).join(", ")}`,
    ...(baseline.most_confused.length > 0
      ? [
          `  Most confused: ${baseline.most_confused.map((p) => `${p.actual} taken for ${p.predicted} (${p.count})`).join(", ")}`,
        ]
      : []),
    `  Page with the per-label table and the confusion matrix: ${baseline.page_uri}`,
    "  (download it with aws s3 cp and open it in a browser). Comprehend's model is usually as good or better.",
  ];
}

/** The one command that starts training for a finished run, whatever held it. */
export function startTrainingCommand(runId: string): string {
  return `npm run start-training -- --run ${runId}`;
}

/** Whether the baseline holds training back: only when a bar is set and a baseline ran below it. */
export function heldBy(baseline: BaselineOutcome | undefined, minMacroF1: number): string | undefined {
  if (minMacroF1 <= 0 || !baseline || "error" in baseline || baseline.macro_f1 >= minMacroF1)
    return undefined;
  return `the baseline's macro-F1 ${percent(baseline.macro_f1)} is below min_baseline_macro_f1 (${percent(minMacroF1)})`;
}

export function completedEvent(
  source: SourceObject,
  run: RunLocation,
  report: EtlReport,
  baseline?: BaselineOutcome,
  held?: string,
) {
  const labels = labelsByDocumentCount(report.label_counts)
    .map(([label, n]) => `  ${label}: ${n}`)
    .join("\n");
  const retraining = report.retraining;
  const lines = [
    retraining
      ? `The next training set of ${retraining.version_of} is ready (run ${run.runId}), from the served model ${retraining.served_classifier_arn} and every correction.`
      : `The dataset s3://${source.bucket}/${source.key} is ready for training (run ${run.runId}).`,
    ...(retraining ? ["", ...retrainingLines(retraining)] : []),
    "",
    `${plural(report.document_count, "document", "documents")} in ${plural(report.label_count, "label", "labels")}:`,
    labels,
  ];
  const meanBytes = report.document_bytes?.mean ?? 0;
  if (meanBytes > 0) {
    lines.push(
      "",
      `Average ticket: ${meanBytes} characters. When you serve this model, set typical_ticket_characters = ${meanBytes} in terraform.tfvars: the API's default rate limit follows from it.`,
    );
  }
  if (report.left_out_labels.length > 0) {
    lines.push(
      "",
      `Left out, with fewer than ${report.settings.min_docs_per_label} documents each: ` +
        report.left_out_labels.map((l) => `${l.label} (${l.documents})`).join(", ") +
        ".",
    );
  }
  const dropped: string[] = [];
  const { empty, no_label: noLabel, null_text: nullText } = report.dropped;
  if (empty > 0) dropped.push(`${plural(empty, "empty document was", "empty documents were")} dropped`);
  if (noLabel > 0) dropped.push(`${plural(noLabel, "row", "rows")} without a label ${were(noLabel)} dropped`);
  if (nullText > 0) {
    dropped.push(
      `${plural(nullText, "bug report", "bug reports")} without a summary or description ${were(nullText)} dropped`,
    );
  }
  if (report.cut.documents > 0) {
    dropped.push(
      `${plural(report.cut.documents, "document was", "documents were")} cut to ${report.cut.max_doc_bytes} bytes`,
    );
  }
  if (report.ignored_entries.length > 0) {
    dropped.push(
      `ignored in the zip: ${report.ignored_entries.map((e) => `${e.name} (${e.reason})`).join("; ")}`,
    );
  }
  if (dropped.length > 0) lines.push("", `${capitalize(dropped.join("; "))}.`);
  for (const warning of report.warnings) lines.push("", `Warning: ${warning}.`);
  lines.push(...baselineLines(baseline));
  lines.push(
    "",
    `Training data: ${run.trainingDataUri}`,
    ...(report.test_set && run.testDataUri
      ? [
          `Test set: ${run.testDataUri} (${report.test_set.documents} documents, ${Math.round(report.test_set.share * 100)}% of each label, held out of training: Comprehend measures the model on exactly these)`,
        ]
      : []),
    `Report: ${run.reportUri}`,
    "",
    ...(held
      ? [
          `Training was NOT started: ${held}. Look at the page above first: labels that cannot be told apart`,
          "usually need merging or better text. To train anyway, run from the project directory:",
          `   ${startTrainingCommand(run.runId)}`,
        ]
      : [
          "What happens next: training of the Comprehend classifier starts automatically; " +
            "you will get another message when it starts and when it finishes.",
        ]),
  );
  return {
    eventType: held ? ("etl_held" as const) : ("etl_completed" as const),
    subject: held
      ? `Dataset ready, training held: baseline macro-F1 ${baseline && !("error" in baseline) ? percent(baseline.macro_f1) : "n/a"}`
      : `Dataset ready for training: ${report.document_count} documents, ${report.label_count} labels`,
    text: lines.join("\n"),
    detail: {
      run_id: run.runId,
      training_data_uri: run.trainingDataUri,
      ...(report.test_set && run.testDataUri
        ? { test_data_uri: run.testDataUri, test_label_counts: report.test_set.label_counts }
        : {}),
      report_uri: run.reportUri,
      label_counts: report.label_counts,
      label_count: report.label_count,
      document_count: report.document_count,
      left_out_labels: report.left_out_labels.map((l) => l.label),
      training_data_bytes: report.output.bytes,
      ...(baseline ? { baseline } : {}),
      ...(held ? { held_because: held, start_training_command: startTrainingCommand(run.runId) } : {}),
      ...(retraining
        ? { version_of: retraining.version_of, served_classifier_arn: retraining.served_classifier_arn }
        : {}),
      source: sourceDetail(source),
    },
  };
}

function retrainingLines(retraining: RetrainingSummary): string[] {
  return [
    `From the served model: ${retraining.base_training_documents} training and ${retraining.base_test_documents} test documents (the test documents stay the test set, so both versions are judged on them).`,
    `Corrections: ${retraining.corrections} texts; ${retraining.relabelled} relabelled a document the model knew, ${retraining.confirmed} confirmed its label, ` +
      `${retraining.added_to_training + retraining.added_to_test} were new (${retraining.added_to_training} to training, ${retraining.added_to_test} to the test set).`,
    ...(retraining.new_labels.length > 0 ? [`New labels: ${retraining.new_labels.join(", ")}.`] : []),
    `The new model is trained as a new version of ${retraining.version_of}.`,
  ];
}

export function failedEvent(
  source: SourceObject,
  runId: string,
  reason: string,
  kind: "upload" | "retraining" = "upload",
) {
  const location = `s3://${source.bucket}/${source.key}`;
  if (kind === "retraining") {
    return {
      eventType: "etl_failed" as const,
      subject: "Retraining refused: no new training set",
      text: [
        `The retraining request ${location} did not make a training set (run ${runId}):`,
        "",
        `  ${reason}`,
        "",
        "Nothing was trained; the served model keeps serving. Once the cause is fixed, ask again:",
        `   ${RETRAIN_COMMAND}`,
      ].join("\n"),
      detail: { run_id: runId, reason, source: sourceDetail(source) },
    };
  }
  return {
    eventType: "etl_failed" as const,
    subject: `Dataset rejected: ${source.key.split("/").pop()}`,
    text: [
      `The dataset ${location} cannot be used for training (run ${runId}):`,
      "",
      `  ${reason}`,
      "",
      "No training was started. The uploaded object was left untouched.",
      "Fix the data and upload it again; `npm run etl -- --input <file> --out <dir>` runs the same checks locally.",
    ].join("\n"),
    detail: { run_id: runId, reason, source: sourceDetail(source) },
  };
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function were(n: number): string {
  return n === 1 ? "was" : "were";
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
