/** How well predictions match the truth, per label and overall, as scikit-learn's classification report. */

export interface LabelMetrics {
  readonly label: string;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** Test documents whose true label this is. */
  readonly support: number;
  /** Test documents predicted as this label. */
  readonly predicted: number;
}

export interface ConfusedPair {
  readonly actual: string;
  readonly predicted: string;
  readonly count: number;
  /** Share of the actual label's test documents that went to the other label. */
  readonly share: number;
}

export interface Metrics {
  readonly accuracy: number;
  readonly macroF1: number;
  readonly weightedF1: number;
  readonly labels: readonly LabelMetrics[];
  /** matrix[actual][predicted], rows and columns in `labels` order. */
  readonly confusionMatrix: readonly (readonly number[])[];
  readonly mostConfused: readonly ConfusedPair[];
}

const ratio = (numerator: number, denominator: number) => (denominator === 0 ? 0 : numerator / denominator);

/**
 * Precision of a label never predicted, and recall of a label absent from the test part, count as 0 (as
 * scikit-learn with zero_division=0); macro-F1 averages over every label of the dataset.
 */
export function computeMetrics(
  labelNames: readonly string[],
  actual: readonly number[],
  predicted: readonly number[],
  confusedPairs = 5,
): Metrics {
  if (actual.length !== predicted.length) throw new Error("actual and predicted differ in length");
  const k = labelNames.length;
  const matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  actual.forEach((truth, i) => {
    const row = matrix[truth] as number[];
    row[predicted[i] as number] = (row[predicted[i] as number] as number) + 1;
  });
  return metricsFromMatrix(labelNames, matrix, confusedPairs);
}

/** The same figures from a confusion matrix alone (rows actual, columns predicted), as Comprehend reports one. */
export function metricsFromMatrix(
  labelNames: readonly string[],
  matrix: readonly (readonly number[])[],
  confusedPairs = 5,
): Metrics {
  if (matrix.length !== labelNames.length || matrix.some((row) => row.length !== labelNames.length)) {
    throw new Error(
      `a confusion matrix of ${labelNames.length} labels must be ${labelNames.length} x ${labelNames.length}`,
    );
  }
  let correct = 0;
  let total = 0;
  const labels = labelNames.map((label, index) => {
    const truePositives = (matrix[index] as readonly number[])[index] as number;
    correct += truePositives;
    const support = (matrix[index] as readonly number[]).reduce((sum, n) => sum + n, 0);
    total += support;
    const predictedCount = matrix.reduce((sum, row) => sum + (row[index] as number), 0);
    const precision = ratio(truePositives, predictedCount);
    const recall = ratio(truePositives, support);
    return {
      label,
      precision,
      recall,
      f1: ratio(2 * precision * recall, precision + recall),
      support,
      predicted: predictedCount,
    };
  });
  const pairs: ConfusedPair[] = [];
  for (const [a, row] of matrix.entries()) {
    for (const [p, count] of row.entries()) {
      if (a === p || count === 0) continue;
      const share = ratio(count, labels[a]?.support ?? 0);
      pairs.push({ actual: labelNames[a] as string, predicted: labelNames[p] as string, count, share });
    }
  }
  pairs.sort((x, y) => y.count - x.count || y.share - x.share || x.actual.localeCompare(y.actual));
  return {
    accuracy: ratio(correct, total),
    macroF1: ratio(
      labels.reduce((sum, l) => sum + l.f1, 0),
      labels.length,
    ),
    weightedF1: ratio(
      labels.reduce((sum, l) => sum + l.f1 * l.support, 0),
      total,
    ),
    labels,
    confusionMatrix: matrix.map((row) => [...row]),
    mostConfused: pairs.slice(0, confusedPairs),
  };
}
