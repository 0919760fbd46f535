/**
 * The baseline as the ETL function runs it after writing the training data: evaluated on a sample of the
 * run's documents, with the figures the "ready for training" email quotes.
 */
import { readTrainingDocuments } from "./documents";
import { type Evaluation, evaluateDocuments } from "./evaluate";

export interface BaselineSummary {
  readonly documents: number;
  readonly sampled_from: number;
  readonly split: string;
  readonly accuracy: number;
  readonly macro_f1: number;
  readonly weighted_f1: number;
  readonly weakest_labels: readonly {
    readonly label: string;
    readonly f1: number;
    readonly support: number;
  }[];
  readonly most_confused: readonly {
    readonly actual: string;
    readonly predicted: string;
    readonly count: number;
  }[];
}

export interface BaselineArtifacts {
  readonly summary: BaselineSummary;
  readonly json: string;
  readonly html: string;
  readonly svg: string;
}

export type RenderPage = (evaluation: Evaluation, title: string) => Promise<{ html: string; svg: string }>;

/** The baseline was not run, or given up, for a reason the operator reads in the email; training goes ahead. */
export class BaselineSkipped extends Error {
  override readonly name = "BaselineSkipped";
}

/**
 * What one document-label pair of training costs, measured: 96 labels x 50,000 documents took about 60 s on
 * the ETL function's cores. The baseline samples at most this many pairs, so its time stays near a minute
 * whatever the number of labels.
 */
export const BASELINE_LABEL_DOCUMENTS = 5_000_000;
/** Fewer documents a label than this in the sample, and the baseline's per-label figures say nothing. */
export const MIN_BASELINE_DOCUMENTS_PER_LABEL = 10;
/** The hashed feature space's largest size (2^20 buckets: 4 MB of weights per label). */
const MAX_HASH_BITS = 20;
const MIN_HASH_BITS = 14;

export interface BaselineBudget {
  /** Labels of the run (the ETL report's label_count). */
  readonly labels: number;
  /** Bytes the model's weights may take: a share of the function's memory. */
  readonly memoryBytes: number;
  /** Epoch milliseconds by which the baseline must have given up, leaving the function time to finish. */
  readonly deadline?: number;
}

/** How large a sample and feature space fit the budget, or why no baseline does. */
export function planBaseline(
  budget: BaselineBudget,
  maxDocuments: number,
): { maxDocuments: number; hashBits: number } {
  const documents = Math.min(maxDocuments, Math.floor(BASELINE_LABEL_DOCUMENTS / budget.labels));
  if (documents / budget.labels < MIN_BASELINE_DOCUMENTS_PER_LABEL) {
    throw new BaselineSkipped(
      `${budget.labels} labels are too many for a baseline within the function's time (it would sample fewer than ${MIN_BASELINE_DOCUMENTS_PER_LABEL} documents a label)`,
    );
  }
  // Weights: one float per bucket and label.
  const bits = Math.min(MAX_HASH_BITS, Math.floor(Math.log2(budget.memoryBytes / (4 * budget.labels))));
  if (bits < MIN_HASH_BITS) {
    throw new BaselineSkipped(
      `${budget.labels} labels need more memory for a baseline than the function has (raise etl_memory_size)`,
    );
  }
  return { maxDocuments: documents, hashBits: bits };
}

export function summarizeBaseline(evaluation: Evaluation, sampledFrom: number): BaselineSummary {
  const m = evaluation.metrics;
  return {
    documents: evaluation.documents,
    sampled_from: sampledFrom,
    split: `${evaluation.split.method}: ${evaluation.split.why}`,
    accuracy: m.accuracy,
    macro_f1: m.macroF1,
    weighted_f1: m.weightedF1,
    weakest_labels: [...m.labels]
      .sort((a, b) => a.f1 - b.f1 || a.label.localeCompare(b.label))
      .slice(0, 3)
      .map(({ label, f1, support }) => ({ label, f1, support })),
    most_confused: evaluation.mostConfused
      .slice(0, 3)
      .map(({ actual, predicted, count }) => ({ actual, predicted, count })),
  };
}

export async function runBaseline(
  trainingDataDir: string,
  options: {
    readonly maxDocuments: number;
    readonly seed?: number;
    readonly title: string;
    readonly render: RenderPage;
    readonly budget?: BaselineBudget;
  },
): Promise<BaselineArtifacts> {
  const seed = options.seed ?? 42;
  const plan = options.budget
    ? planBaseline(options.budget, options.maxDocuments)
    : { maxDocuments: options.maxDocuments, hashBits: undefined };
  const { documents, total } = await readTrainingDocuments(trainingDataDir, plan.maxDocuments, seed);
  const deadline = options.budget?.deadline;
  const evaluation = evaluateDocuments(documents, {
    seed,
    ...(plan.hashBits === undefined ? {} : { hashBits: plan.hashBits }),
    ...(deadline === undefined ? {} : { deadline }),
  });
  const page = await options.render(evaluation, options.title);
  return {
    summary: summarizeBaseline(evaluation, total),
    json: `${JSON.stringify({ sampled: { documents: documents.length, total }, ...evaluation }, null, 2)}\n`,
    ...page,
  };
}
