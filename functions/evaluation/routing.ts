/**
 * Routing where the model is sure: per label, the lowest score from which the model's answers of that label
 * reach a target precision on documents with a known label, and how many of its answers that lets through
 * (coverage). The thresholds come from scored test documents: Comprehend's scores on the run's test sample,
 * or the local baseline's decision values on its test part (the page's precision-coverage curve).
 */
import { createHash } from "node:crypto";

export interface ScoredPrediction {
  readonly actual: string;
  readonly predicted: string;
  /** The predicted label's score: higher is surer. Only its order matters here. */
  readonly score: number;
}

export interface RoutingPoint {
  /** Answers of the label scoring at least this are routed. */
  readonly threshold: number;
  readonly precision: number;
  /** Share of the label's answers that are routed. */
  readonly coverage: number;
}

export interface LabelRouting {
  readonly label: string;
  /** Route an answer of this label when its score is at least this; null: the target is never reached. */
  readonly threshold: number | null;
  /** Precision of the routed answers on the scored documents (null when none are routed). */
  readonly precision: number | null;
  readonly coverage: number;
  /** Scored documents the model gave this label, and how many of them are routed. */
  readonly answers: number;
  readonly routed: number;
  /** From the highest threshold down, at most CURVE_POINTS points. */
  readonly curve: readonly RoutingPoint[];
}

export interface Routing {
  readonly target_precision: number;
  readonly documents: number;
  readonly routed: number;
  /** Share of all scored documents that would route themselves. */
  readonly coverage: number;
  readonly labels: readonly LabelRouting[];
}

/** Enough points to draw a curve, few enough to keep a report small. */
export const CURVE_POINTS = 50;

function thin(points: RoutingPoint[]): RoutingPoint[] {
  if (points.length <= CURVE_POINTS) return points;
  const step = (points.length - 1) / (CURVE_POINTS - 1);
  return Array.from({ length: CURVE_POINTS }, (_, i) => points[Math.round(i * step)] as RoutingPoint);
}

function labelRouting(label: string, answers: readonly ScoredPrediction[], target: number): LabelRouting {
  const sorted = [...answers].sort((a, b) => b.score - a.score);
  const points: RoutingPoint[] = [];
  let correct = 0;
  let best: { threshold: number; precision: number; routed: number } | undefined;
  for (let i = 0; i < sorted.length; i++) {
    const answer = sorted[i] as ScoredPrediction;
    if (answer.actual === answer.predicted) correct++;
    // Answers with the same score are routed together: a threshold sits only where the score changes.
    if (i + 1 < sorted.length && (sorted[i + 1] as ScoredPrediction).score === answer.score) continue;
    const routed = i + 1;
    const precision = correct / routed;
    points.push({ threshold: answer.score, precision, coverage: routed / sorted.length });
    // Precision need not fall as coverage grows: the lowest threshold that still reaches the target wins.
    if (precision >= target) best = { threshold: answer.score, precision, routed };
  }
  return {
    label,
    threshold: best?.threshold ?? null,
    precision: best?.precision ?? null,
    coverage: sorted.length === 0 ? 0 : (best?.routed ?? 0) / sorted.length,
    answers: sorted.length,
    routed: best?.routed ?? 0,
    curve: thin(points),
  };
}

/**
 * Thresholds for every label that occurs in the scored documents (as the truth or as an answer), each chosen
 * for the largest coverage at which the label's answers are at least `targetPrecision` right.
 */
export function routingThresholds(
  predictions: readonly ScoredPrediction[],
  targetPrecision: number,
): Routing {
  if (!(targetPrecision > 0 && targetPrecision <= 1)) {
    throw new RangeError(`the target precision must be above 0 and at most 1, got ${targetPrecision}`);
  }
  const byLabel = new Map<string, ScoredPrediction[]>();
  for (const p of predictions) {
    if (!byLabel.has(p.actual)) byLabel.set(p.actual, []);
    const list = byLabel.get(p.predicted) ?? [];
    list.push(p);
    byLabel.set(p.predicted, list);
  }
  const labels = [...byLabel]
    .map(([label, answers]) => labelRouting(label, answers, targetPrecision))
    .sort((a, b) => a.label.localeCompare(b.label));
  const routed = labels.reduce((sum, l) => sum + l.routed, 0);
  return {
    target_precision: targetPrecision,
    documents: predictions.length,
    routed,
    coverage: predictions.length === 0 ? 0 : routed / predictions.length,
    labels,
  };
}

/** The decision for one answer: route it when its label has a threshold and the score reaches it. */
export function shouldRoute(
  thresholds: Readonly<Record<string, number | null>>,
  label: string,
  score: number,
): boolean {
  const threshold = thresholds[label];
  return threshold !== undefined && threshold !== null && score >= threshold;
}

/**
 * At most `max` documents, each label keeping its share (at least one document), chosen by a hash of the text
 * so that the same test file always gives the same sample, and both models of a comparison score the same one.
 */
export function stratifiedSample<T extends { readonly label: string; readonly text: string }>(
  documents: readonly T[],
  max: number,
): T[] {
  if (documents.length <= max) return [...documents];
  const byLabel = new Map<string, T[]>();
  for (const d of documents) {
    const list = byLabel.get(d.label) ?? [];
    list.push(d);
    byLabel.set(d.label, list);
  }
  const digest = (text: string) => createHash("sha1").update(text).digest("hex");
  const quotas = [...byLabel].map(([label, list]) => ({
    label,
    list: list.map((d) => ({ d, key: digest(d.text) })).sort((a, b) => a.key.localeCompare(b.key)),
    quota: Math.max(1, Math.floor((list.length * max) / documents.length)),
  }));
  // Rounding down leaves room; it goes to the largest labels first, one document each.
  let left = max - quotas.reduce((sum, q) => sum + q.quota, 0);
  for (const q of [...quotas].sort((a, b) => b.list.length - a.list.length)) {
    if (left <= 0) break;
    if (q.quota < q.list.length) {
      q.quota++;
      left--;
    }
  }
  return quotas.flatMap((q) => q.list.slice(0, q.quota).map(({ d }) => d));
}
