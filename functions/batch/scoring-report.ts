/**
 * What a scored model's answers on documents with known labels say, and how two versions compare on the
 * same documents: figures, the email's words and the comparison page. Pure.
 */
import { deployCommand } from "../../contract/retraining";
import type { RoutingThresholds } from "../../contract/scoring";
import { computeMetrics } from "../evaluation/metrics";
import { type Routing, routingThresholds, type ScoredPrediction } from "../evaluation/routing";
import { escapeHtml } from "../shared/html";
import type { LinePrediction } from "./results";

export interface ModelScores {
  readonly classifier_arn: string;
  readonly documents: number;
  /** Lines Comprehend gave no usable answer for: left out of the figures. */
  readonly unanswered: number;
  readonly accuracy: number;
  readonly macro_f1: number;
  readonly labels: readonly { readonly label: string; readonly f1: number; readonly support: number }[];
  readonly routing: Routing;
}

/** The answers of one job joined to the true labels of its lines. */
export function scoredPredictions(
  labels: readonly string[],
  byLine: ReadonlyMap<number, LinePrediction>,
): { predictions: ScoredPrediction[]; unanswered: number } {
  const predictions: ScoredPrediction[] = [];
  let unanswered = 0;
  labels.forEach((actual, line) => {
    const answer = byLine.get(line);
    const top =
      answer && "classes" in answer ? [...answer.classes].sort((a, b) => b.Score - a.Score)[0] : undefined;
    if (!top) unanswered++;
    else predictions.push({ actual, predicted: top.Name, score: top.Score });
  });
  return { predictions, unanswered };
}

export function modelScores(
  classifierArn: string,
  predictions: readonly ScoredPrediction[],
  unanswered: number,
  targetPrecision: number,
): ModelScores {
  const names = [...new Set(predictions.flatMap((p) => [p.actual, p.predicted]))].sort();
  const index = new Map(names.map((name, i) => [name, i]));
  const metrics = computeMetrics(
    names,
    predictions.map((p) => index.get(p.actual) as number),
    predictions.map((p) => index.get(p.predicted) as number),
  );
  // Macro-F1 over the labels the documents have: a label only the model answers is not a class of the test.
  const truth = new Set(predictions.map((p) => p.actual));
  const labels = metrics.labels
    .filter((l) => truth.has(l.label))
    .map((l) => ({ label: l.label, f1: l.f1, support: l.support }));
  return {
    classifier_arn: classifierArn,
    documents: predictions.length,
    unanswered,
    accuracy: metrics.accuracy,
    macro_f1: labels.length === 0 ? 0 : labels.reduce((sum, l) => sum + l.f1, 0) / labels.length,
    labels,
    routing: routingThresholds(predictions, targetPrecision),
  };
}

/** The thresholds the API and the batch results route by. */
export function routingFile(scores: ModelScores): RoutingThresholds {
  return {
    classifier_arn: scores.classifier_arn,
    target_precision: scores.routing.target_precision,
    sample_documents: scores.documents,
    coverage: scores.routing.coverage,
    labels: Object.fromEntries(
      scores.routing.labels.map((l) => [
        l.label,
        { threshold: l.threshold, coverage: l.coverage, answers: l.answers },
      ]),
    ),
  };
}

/** A label's F1 moved by at least this much to count as improved or regressed (noise on a sample below it). */
export const F1_CHANGE = 0.02;

export interface Comparison {
  readonly documents: number;
  readonly target_precision: number;
  readonly new: Pick<ModelScores, "classifier_arn" | "accuracy" | "macro_f1"> & { readonly coverage: number };
  readonly served: Pick<ModelScores, "classifier_arn" | "accuracy" | "macro_f1"> & {
    readonly coverage: number;
  };
  readonly labels: readonly { readonly label: string; readonly new_f1: number; readonly served_f1: number }[];
  readonly improved: readonly string[];
  readonly regressed: readonly string[];
  readonly better: boolean;
  /** Why it is, or is not, worth promoting, in a sentence. */
  readonly verdict: string;
  readonly promote_command?: string;
}

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

export function compareModels(next: ModelScores, served: ModelScores): Comparison {
  const servedF1 = new Map(served.labels.map((l) => [l.label, l.f1]));
  const labels = next.labels.map((l) => ({
    label: l.label,
    new_f1: l.f1,
    served_f1: servedF1.get(l.label) ?? 0,
  }));
  const improved = labels.filter((l) => l.new_f1 - l.served_f1 >= F1_CHANGE).map((l) => l.label);
  const regressed = labels.filter((l) => l.served_f1 - l.new_f1 >= F1_CHANGE).map((l) => l.label);
  const better =
    next.macro_f1 > served.macro_f1 ||
    (next.macro_f1 === served.macro_f1 && next.routing.coverage > served.routing.coverage);
  const verdict = better
    ? `The new version is better: macro-F1 ${percent(next.macro_f1)} against ${percent(served.macro_f1)} on the same ${next.documents} documents.`
    : `The new version is not better: macro-F1 ${percent(next.macro_f1)} against the served ${percent(served.macro_f1)} on the same ${next.documents} documents${
        regressed.length > 0 ? `, and ${regressed.join(", ")} got worse` : ""
      }. Keep serving the current one; more corrections of the weak labels help the next version.`;
  return {
    documents: next.documents,
    target_precision: next.routing.target_precision,
    new: {
      classifier_arn: next.classifier_arn,
      accuracy: next.accuracy,
      macro_f1: next.macro_f1,
      coverage: next.routing.coverage,
    },
    served: {
      classifier_arn: served.classifier_arn,
      accuracy: served.accuracy,
      macro_f1: served.macro_f1,
      coverage: served.routing.coverage,
    },
    labels,
    improved,
    regressed,
    better,
    verdict,
    ...(better ? { promote_command: deployCommand(next.classifier_arn) } : {}),
  };
}

export function routingLines(routing: Routing): string[] {
  return [
    `At ${percent(routing.target_precision)} precision, ${percent(routing.coverage)} of the ${routing.documents} scored tickets would route themselves; per label (threshold, share of its answers routed):`,
    ...routing.labels.map((l) =>
      l.threshold === null
        ? `  ${l.label}: never routes itself (${l.answers} answers; not ${percent(routing.target_precision)} right at any score), always reviewed`
        : `  ${l.label}: from score ${l.threshold.toFixed(3)}, ${percent(l.coverage)} of ${l.answers} answers`,
    ),
  ];
}

export function comparisonLines(comparison: Comparison): string[] {
  const row = (name: string, m: Comparison["new"]) =>
    `  ${name.padEnd(8)} macro-F1 ${percent(m.macro_f1).padStart(6)}  accuracy ${percent(m.accuracy).padStart(6)}  routes itself ${percent(m.coverage).padStart(6)}`;
  return [
    `Both versions on the same ${comparison.documents} test documents:`,
    row("new", comparison.new),
    row("served", comparison.served),
    ...(comparison.improved.length > 0
      ? [`Improved (F1 up ${F1_CHANGE * 100} points or more): ${comparison.improved.join(", ")}`]
      : []),
    ...(comparison.regressed.length > 0
      ? [`Regressed (F1 down ${F1_CHANGE * 100} points or more): ${comparison.regressed.join(", ")}`]
      : []),
    "",
    comparison.verdict,
  ];
}

/** The comparison as a page beside the baseline's: one self-contained file, no script, no external request. */
export function comparisonPage(runId: string, comparison: Comparison): string {
  const rows = comparison.labels
    .map((l) => {
      const delta = l.new_f1 - l.served_f1;
      const mark = comparison.improved.includes(l.label)
        ? "improved"
        : comparison.regressed.includes(l.label)
          ? "regressed"
          : "";
      return `<tr class="${mark}"><th scope="row">${escapeHtml(l.label)}</th><td>${percent(l.served_f1)}</td><td>${percent(l.new_f1)}</td><td>${delta >= 0 ? "+" : ""}${(delta * 100).toFixed(1)}</td><td>${mark}</td></tr>`;
    })
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Run ${escapeHtml(runId)}: new version against the served one</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse}td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:right}th[scope=row]{text-align:left}.improved{background:#e6f4ea}.regressed{background:#fce8e6}code{background:#f3f3f3;padding:.2em}</style>
</head><body>
<h1>Run ${escapeHtml(runId)}: new version against the served one</h1>
<p>Both scored on the same ${comparison.documents} test documents; routing at ${percent(comparison.target_precision)} precision.</p>
<table id="summary"><thead><tr><th></th><th>macro-F1</th><th>accuracy</th><th>routes itself</th></tr></thead><tbody>
<tr><th scope="row">served</th><td>${percent(comparison.served.macro_f1)}</td><td>${percent(comparison.served.accuracy)}</td><td>${percent(comparison.served.coverage)}</td></tr>
<tr><th scope="row">new</th><td>${percent(comparison.new.macro_f1)}</td><td>${percent(comparison.new.accuracy)}</td><td>${percent(comparison.new.coverage)}</td></tr>
</tbody></table>
<p id="verdict">${escapeHtml(comparison.verdict)}</p>
${comparison.promote_command ? `<p>To promote it: <code id="promote">${escapeHtml(comparison.promote_command)}</code></p>` : ""}
<h2>F1 per label</h2>
<table id="labels"><thead><tr><th>label</th><th>served</th><th>new</th><th>change (points)</th><th></th></tr></thead><tbody>
${rows}
</tbody></table>
</body></html>
`;
}
