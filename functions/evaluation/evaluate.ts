/**
 * A baseline of how well the labels can be told apart, before paying for Comprehend: a linear SVM over word and
 * word-pair TF-IDF, trained and tested on a label-stratified split (or k folds, where a label is too small for
 * a held-out part to say much about it).
 */

import { SCORING_DEFAULTS } from "../../contract/scoring";
import { labelsByDocumentCount } from "../shared/labels";
import { EvaluationInputError, type LabelledDocument } from "./documents";
import { decisionScores, trainLinearSvm } from "./linear-svm";
import { computeMetrics, type Metrics } from "./metrics";
import { type Routing, routingThresholds } from "./routing";
import { seededRandom, stratifiedFolds, stratifiedHoldout } from "./split";
import { DEFAULT_HASH_BITS, fitVectorizer, type TermCounts, termCounts, vectorize } from "./text-features";

export interface EvaluationOptions {
  readonly seed?: number;
  /** Share of each label held out for testing. */
  readonly testShare?: number;
  /** Folds used when the smallest label has fewer than `smallLabel` documents. */
  readonly folds?: number;
  readonly smallLabel?: number;
  /** k folds train k models: only for datasets up to this size. */
  readonly maxDocumentsForFolds?: number;
  readonly hashBits?: number;
  /** Epoch milliseconds after which training stops with EvaluationTimeout instead of running on. */
  readonly deadline?: number;
  readonly onProgress?: (message: string) => void;
  /** The precision the page's routing table aims at (auto_route_precision). */
  readonly targetPrecision?: number;
}

/** The evaluation ran out of the time it was given. */
export class EvaluationTimeout extends Error {
  override readonly name = "EvaluationTimeout";
}

export interface ConfusedExample {
  readonly actual: string;
  readonly predicted: string;
  readonly count: number;
  readonly share: number;
  readonly examples: readonly string[];
}

export interface Evaluation {
  readonly documents: number;
  readonly labels: readonly string[];
  readonly split: {
    readonly method: "holdout" | "k-fold";
    readonly seed: number;
    readonly testShare?: number;
    readonly folds?: number;
    readonly trainDocuments: number;
    readonly testDocuments: number;
    readonly why: string;
  };
  readonly model: {
    readonly kind: string;
    readonly settings: Record<string, unknown>;
    readonly epochs: readonly number[];
  };
  readonly metrics: Metrics;
  readonly mostConfused: readonly ConfusedExample[];
  /** Per label, precision against coverage as the model's score rises (absent for a model known by its matrix only). */
  readonly routing?: Routing;
  readonly timing_ms: { readonly features: number; readonly training: number; readonly total: number };
}

const EXAMPLE_CHARACTERS = 240;

/** Labels (most documents first), each document's label index, and the train/test parts to run. */
export function planSplit(documents: readonly LabelledDocument[], options: EvaluationOptions = {}) {
  const seed = options.seed ?? 42;
  const counts: Record<string, number> = {};
  for (const { label } of documents) counts[label] = (counts[label] ?? 0) + 1;
  const labelNames = labelsByDocumentCount(counts).map(([label]) => label);
  if (labelNames.length < 2) throw new EvaluationInputError("evaluation needs at least two labels");
  const labelIndex = new Map(labelNames.map((label, index) => [label, index]));
  const labels = documents.map(({ label }) => labelIndex.get(label) as number);
  const smallest = Math.min(...Object.values(counts));
  const smallLabel = options.smallLabel ?? 50;
  const useFolds = smallest < smallLabel && documents.length <= (options.maxDocumentsForFolds ?? 50_000);
  const folds = options.folds ?? 5;
  const testShare = options.testShare ?? 0.2;
  const parts = useFolds
    ? stratifiedFolds(labels, folds, seed).map((test) => {
        const held = new Set(test);
        return { train: labels.map((_, i) => i).filter((i) => !held.has(i)), test };
      })
    : [stratifiedHoldout(labels, testShare, seed)];
  return { labelNames, labels, parts, useFolds, smallest, smallLabel, folds, testShare };
}

export function evaluateDocuments(
  documents: readonly LabelledDocument[],
  options: EvaluationOptions = {},
): Evaluation {
  const started = performance.now();
  const seed = options.seed ?? 42;
  const bits = options.hashBits ?? DEFAULT_HASH_BITS;
  const progress = options.onProgress ?? (() => {});
  const plan = planSplit(documents, options);
  const { labelNames, labels, parts, useFolds, smallest, smallLabel, folds, testShare } = plan;

  progress(`reading words and word pairs of ${documents.length.toLocaleString("en-US")} documents`);
  const terms: TermCounts[] = documents.map(({ text }) => termCounts(text, bits));
  const featuresMs = performance.now() - started;

  const actual: number[] = [];
  const predicted: number[] = [];
  const tested: number[] = [];
  /** The winning class's decision value per tested document: the order the precision-coverage curve needs. */
  const margins: number[] = [];
  const epochs: number[] = [];
  const trainingStarted = performance.now();
  parts.forEach((part, n) => {
    progress(
      parts.length > 1
        ? `training fold ${n + 1} of ${parts.length}`
        : `training on ${part.train.length.toLocaleString("en-US")} documents`,
    );
    const vectorizer = fitVectorizer(
      part.train.map((i) => terms[i] as TermCounts),
      bits,
    );
    const model = trainLinearSvm(
      part.train.map((i) => vectorize(terms[i] as TermCounts, vectorizer)),
      part.train.map((i) => labels[i] as number),
      labelNames,
      1 << bits,
      {
        random: seededRandom(seed + n),
        ...(options.deadline === undefined
          ? {}
          : {
              shouldStop: () => Date.now() > (options.deadline as number),
            }),
      },
    );
    if (model.stopped) {
      throw new EvaluationTimeout(
        `the baseline ran out of its time while training (${labelNames.length} labels, ${part.train.length} documents)`,
      );
    }
    epochs.push(...model.epochs);
    for (const i of part.test) {
      actual.push(labels[i] as number);
      const scores = decisionScores(model, vectorize(terms[i] as TermCounts, vectorizer));
      let best = 0;
      for (let k = 1; k < scores.length; k++) if ((scores[k] as number) > (scores[best] as number)) best = k;
      predicted.push(best);
      margins.push(scores[best] as number);
      tested.push(i);
    }
  });
  const trainingMs = performance.now() - trainingStarted;

  const metrics = computeMetrics(labelNames, actual, predicted);
  const mostConfused = metrics.mostConfused.map((pair) => ({
    ...pair,
    examples: tested
      .filter(
        (_, t) =>
          labelNames[actual[t] as number] === pair.actual &&
          labelNames[predicted[t] as number] === pair.predicted,
      )
      .slice(0, 3)
      .map((i) => {
        const text = (documents[i] as LabelledDocument).text;
        return text.length > EXAMPLE_CHARACTERS ? `${text.slice(0, EXAMPLE_CHARACTERS)}…` : text;
      }),
  }));
  return {
    documents: documents.length,
    labels: labelNames,
    split: useFolds
      ? {
          method: "k-fold",
          seed,
          folds,
          trainDocuments: documents.length - Math.ceil(documents.length / folds),
          testDocuments: documents.length,
          why: `the smallest label has ${smallest} documents (under ${smallLabel}): every document is tested once across ${folds} folds`,
        }
      : {
          method: "holdout",
          seed,
          testShare,
          trainDocuments: (parts[0] as { train: number[] }).train.length,
          testDocuments: (parts[0] as { test: number[] }).test.length,
          why: `${Math.round(testShare * 100)}% of each label held out for testing`,
        },
    model: {
      kind: "one-vs-rest linear SVM (squared hinge, L2, dual coordinate descent: scikit-learn LinearSVC's algorithm)",
      settings: {
        C: 1,
        features: "TF-IDF of words and word pairs, sublinear TF, smooth IDF, L2-normalised",
        min_df: 2,
        hash_buckets: 1 << bits,
        token_pattern: "2+ letters or digits, lower-cased",
      },
      epochs,
    },
    metrics,
    mostConfused,
    routing: routingThresholds(
      actual.map((a, t) => ({
        actual: labelNames[a] as string,
        predicted: labelNames[predicted[t] as number] as string,
        score: margins[t] as number,
      })),
      options.targetPrecision ?? SCORING_DEFAULTS.autoRoutePrecision,
    ),
    timing_ms: {
      features: Math.round(featuresMs),
      training: Math.round(trainingMs),
      total: Math.round(performance.now() - started),
    },
  };
}
