/**
 * The evaluation as a person reads it: one self-contained HTML page (no scripts, fonts or images fetched) with the
 * headline numbers, the per-label table, the most confused pairs, and the confusion matrix drawn as heat maps,
 * counts and row-normalised. The matrix is drawn by Vega-Lite, rendered to SVG by Vega without a browser.
 */
import { parse as parseVega, View } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { escapeHtml } from "../shared/html";
import type { Evaluation } from "./evaluate";
import type { Routing } from "./routing";
import { verdictOf } from "./verdict";

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
const LABEL_CHARACTERS = 32;

/** The heat map's Vega-Lite specification: one cell per (actual, predicted), labelled with its value. */
export function confusionMatrixSpec(evaluation: Evaluation, normalised: boolean): TopLevelSpec {
  const { labels } = evaluation;
  const matrix = evaluation.metrics.confusionMatrix;
  const cells = labels.flatMap((actual, a) => {
    const row = matrix[a] as readonly number[];
    const total = row.reduce((sum, n) => sum + n, 0);
    return labels.map((predicted, p) => {
      const count = row[p] as number;
      const value = normalised ? (total === 0 ? 0 : count / total) : count;
      return {
        actual,
        predicted,
        value,
        text: normalised ? (count === 0 ? "" : `${Math.round(value * 100)}`) : count === 0 ? "" : `${count}`,
      };
    });
  });
  const cell = labels.length > 20 ? 18 : labels.length > 10 ? 28 : 40;
  const axis = { labelLimit: 180, labelFontSize: 11, titleFontSize: 12 };
  const scale = { domain: labels };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    // The axes' own titles sat below long rotated labels, far from the matrix: the title says it instead.
    title: {
      text: normalised ? "Confusion matrix, % of each actual label" : "Confusion matrix, documents",
      subtitle: "rows: the actual label; columns: the label the model predicted",
    },
    data: { values: cells },
    width: cell * labels.length,
    height: cell * labels.length,
    encoding: {
      x: {
        field: "predicted",
        type: "nominal",
        sort: labels,
        scale,
        title: null,
        axis: { ...axis, labelAngle: -50, orient: "top" },
      },
      y: { field: "actual", type: "nominal", sort: labels, scale, title: null, axis },
    },
    layer: [
      {
        mark: { type: "rect", stroke: "#ffffff", strokeWidth: 0.5 },
        encoding: {
          color: {
            field: "value",
            type: "quantitative",
            scale: { scheme: "blues", ...(normalised ? { domain: [0, 1] } : {}) },
            legend: { title: normalised ? "share" : "documents", format: normalised ? ".0%" : "d" },
          },
          tooltip: [
            { field: "actual", type: "nominal" },
            { field: "predicted", type: "nominal" },
            { field: "value", type: "quantitative", format: normalised ? ".1%" : "d" },
          ],
        },
      },
      {
        mark: { type: "text", fontSize: labels.length > 20 ? 8 : 10 },
        encoding: {
          text: { field: "text", type: "nominal" },
          color: {
            condition: {
              test: `datum.value > ${normalised ? 0.5 : 0.5 * maxOf(matrix)}`,
              value: "white",
            },
            value: "#1f2937",
          },
        },
      },
    ],
    config: { view: { stroke: null }, font: "Helvetica, Arial, sans-serif" },
  } as TopLevelSpec;
}

/** Curves for at most this many labels, the ones with the most answers: more lines are unreadable. */
export const CURVE_LABELS = 12;

/**
 * Precision against coverage per label, as the model's score threshold falls: each line starts at the surest
 * answers (few, mostly right) and ends with all of them. The rule marks the target precision.
 */
export function precisionCoverageSpec(routing: Routing): TopLevelSpec {
  const share = (field: string) =>
    ({
      field,
      type: "quantitative",
      scale: { domain: [0, 1] },
      axis: { format: ".0%" },
      title: field,
    }) as const;
  const labels = [...routing.labels]
    .filter((l) => l.curve.length > 0)
    .sort((a, b) => b.answers - a.answers || a.label.localeCompare(b.label))
    .slice(0, CURVE_LABELS);
  const points = labels.flatMap((l) =>
    l.curve.map((p) => ({ label: l.label, coverage: p.coverage, precision: p.precision })),
  );
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: {
      text: "What a target precision costs, per label",
      subtitle:
        "share of a label's answers routed without a person (coverage) against how often they are right",
    },
    width: 520,
    height: 320,
    layer: [
      {
        data: { values: points },
        mark: { type: "line", point: { size: 14 }, interpolate: "step-after" },
        encoding: {
          x: share("coverage"),
          y: share("precision"),
          color: {
            field: "label",
            type: "nominal",
            sort: labels.map((l) => l.label),
            legend: { labelLimit: 180 },
          },
          order: { field: "coverage", type: "quantitative" },
        },
      },
      {
        data: { values: [{ target: routing.target_precision }] },
        mark: { type: "rule", strokeDash: [4, 4], color: "#6b7280" },
        encoding: { y: { field: "target", type: "quantitative" } },
      },
    ],
    config: { view: { stroke: null }, font: "Helvetica, Arial, sans-serif" },
  } as TopLevelSpec;
}

function maxOf(matrix: readonly (readonly number[])[]): number {
  return Math.max(1, ...matrix.flat());
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parseVega(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** What the model is, for a reader who does not build models. */
function plainModel(evaluation: Evaluation): string {
  return evaluation.model.kind.startsWith("Amazon Comprehend")
    ? "Comprehend's trained classifier, tested on tickets it did not train on."
    : "a quick local model that learns which words and word pairs point to which label, tested on tickets it did not learn from. Comprehend's own model is usually as good or better, so this is a floor, not a ceiling.";
}

export interface RenderedReport {
  readonly html: string;
  /** The counts heat map on its own. */
  readonly svg: string;
}

export async function renderReport(
  evaluation: Evaluation,
  title: string,
  note?: string,
): Promise<RenderedReport> {
  const [counts, shares, curve] = await Promise.all([
    renderSvg(confusionMatrixSpec(evaluation, false)),
    renderSvg(confusionMatrixSpec(evaluation, true)),
    evaluation.routing ? renderSvg(precisionCoverageSpec(evaluation.routing)) : Promise.resolve(""),
  ]);
  const short = (label: string) =>
    label.length > LABEL_CHARACTERS ? `${label.slice(0, LABEL_CHARACTERS - 1)}…` : label;
  const routing = evaluation.routing;
  const routingRows = routing
    ? [...routing.labels]
        .sort((a, b) => b.answers - a.answers || a.label.localeCompare(b.label))
        .map(
          (l) =>
            `<tr><td title="${escapeHtml(l.label)}">${escapeHtml(short(l.label))}</td><td>${l.answers.toLocaleString("en-US")}</td><td>${l.threshold === null ? "never" : percent(l.coverage)}</td></tr>`,
        )
        .join("\n")
    : "";
  const m = evaluation.metrics;
  const verdict = verdictOf(evaluation);
  const rows = [...m.labels]
    .sort((a, b) => a.f1 - b.f1 || a.label.localeCompare(b.label))
    .map(
      (l) =>
        `<tr><td title="${escapeHtml(l.label)}">${escapeHtml(short(l.label))}</td><td>${percent(l.precision)}</td><td>${percent(l.recall)}</td><td>${percent(l.f1)}</td><td>${l.support.toLocaleString("en-US")}</td></tr>`,
    )
    .join("\n");
  const pairs = evaluation.mostConfused
    .map(
      (pair) =>
        `<li><strong>${escapeHtml(pair.actual)}</strong> taken for <strong>${escapeHtml(pair.predicted)}</strong>: ${pair.count} documents (${percent(pair.share)} of ${escapeHtml(pair.actual)})<ul>${pair.examples.map((e) => `<li>${escapeHtml(e)}</li>`).join("")}</ul></li>`,
    )
    .join("\n");
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body { font-family: Helvetica, Arial, sans-serif; margin: 2rem; color: #1f2937; max-width: 1200px; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
.headline { display: flex; gap: 2rem; flex-wrap: wrap; }
.headline div { background: #eff6ff; padding: 0.75rem 1.25rem; border-radius: 6px; }
.headline strong { display: block; font-size: 1.6rem; }
table { border-collapse: collapse; } td, th { padding: 0.25rem 0.75rem; text-align: right; border-bottom: 1px solid #e5e7eb; }
td:first-child, th:first-child { text-align: left; }
.matrix { overflow-x: auto; } .note { color: #6b7280; font-size: 0.9rem; }
#verdict { font-size: 1.1rem; } dl#glossary dt { font-weight: bold; float: left; clear: left; width: 8rem; } dl#glossary dd { margin-left: 8.5rem; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<div class="headline">
<div>accuracy<strong id="accuracy">${percent(m.accuracy)}</strong></div>
<div>macro-F1<strong id="macro-f1">${percent(m.macroF1)}</strong></div>
<div>weighted F1<strong>${percent(m.weightedF1)}</strong></div>
<div>documents<strong>${evaluation.documents.toLocaleString("en-US")}</strong></div>
<div>labels<strong>${evaluation.labels.length}</strong></div>
</div>
<p id="verdict"><strong>${escapeHtml(verdict.verdict)}</strong> ${escapeHtml(verdict.reason)}</p>
${note ? `<p id="comparison"><strong>${escapeHtml(note)}</strong></p>\n` : ""}<p class="note">The model: ${escapeHtml(plainModel(evaluation))} Technically: ${escapeHtml(evaluation.model.kind)}; ${escapeHtml(evaluation.split.method)}: ${escapeHtml(evaluation.split.why)}.</p>
<dl id="glossary" class="note">
<dt>accuracy</dt><dd>the share of test tickets given their actual label.</dd>
<dt>precision</dt><dd>of the tickets the model gave a label, the share that really had it.</dd>
<dt>recall</dt><dd>of the tickets that had a label, the share the model found.</dd>
<dt>F1</dt><dd>precision and recall in one figure (their harmonic mean): high only when both are.</dd>
<dt>macro-F1</dt><dd>the average F1 of the labels, each counting the same: a small team's label weighs as much as a big one's.</dd>
<dt>weighted F1</dt><dd>the average F1 weighted by each label's tickets: dominated by the big labels.</dd>
<dt>support</dt><dd>how many test tickets had the label.</dd>
</dl>
<h2>Per label, weakest first</h2>
<table id="per-label"><thead><tr><th>label</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<h2>Most confused pairs</h2>
<ol id="confused">
${pairs || "<li>none</li>"}
</ol>
${
  routing
    ? `<h2>Routing where the model is sure</h2>
<p class="note">At ${percent(routing.target_precision)} precision (auto_route_precision), ${percent(routing.coverage)} of these test tickets would route themselves and the rest would go to a person. The trained model's own thresholds come from scoring it on the run's test documents; these curves show, before paying for training, how each label trades precision for coverage.</p>
<div class="matrix" id="precision-coverage">${curve}</div>
<table id="routing"><thead><tr><th>label</th><th>answers</th><th>routed at ${percent(routing.target_precision)} precision</th></tr></thead>
<tbody>
${routingRows}
</tbody></table>
`
    : ""
}<h2>Confusion matrix</h2>
<div class="matrix" id="matrix-counts">${counts}</div>
<div class="matrix" id="matrix-shares">${shares}</div>
</body>
</html>
`;
  return { html, svg: counts };
}
