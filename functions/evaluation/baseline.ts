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
  },
): Promise<BaselineArtifacts> {
  const seed = options.seed ?? 42;
  const { documents, total } = await readTrainingDocuments(trainingDataDir, options.maxDocuments, seed);
  const evaluation = evaluateDocuments(documents, { seed });
  const page = await options.render(evaluation, options.title);
  return {
    summary: summarizeBaseline(evaluation, total),
    json: `${JSON.stringify({ sampled: { documents: documents.length, total }, ...evaluation }, null, 2)}\n`,
    ...page,
  };
}
