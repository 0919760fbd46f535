/**
 * One-vs-rest linear support vector machines with squared hinge loss and L2 regularisation, trained by dual
 * coordinate descent: the algorithm and defaults of scikit-learn's `LinearSVC` (liblinear's L2R_L2LOSS_SVC_DUAL,
 * C = 1, an intercept as a constant feature). Hsieh et al., "A Dual Coordinate Descent Method for Large-scale
 * Linear SVM", ICML 2008.
 */
import type { SparseVector } from "./text-features";

export interface LinearSvmOptions {
  readonly c?: number;
  /** Stop when an epoch's projected gradients span less than this (liblinear's stopping rule, eps = 0.1). */
  readonly tolerance?: number;
  readonly maxEpochs?: number;
  readonly random?: () => number;
  /** Asked between labels: true ends training early, and the model says it stopped. */
  readonly shouldStop?: () => boolean;
}

export interface LinearSvmModel {
  readonly labels: readonly string[];
  readonly dimension: number;
  /** Class k's weights at [k * (dimension + 1), ...), its intercept last. */
  readonly weights: Float32Array;
  readonly epochs: readonly number[];
  /** True when shouldStop ended training before every label was trained. */
  readonly stopped?: boolean;
}

export function trainLinearSvm(
  vectors: readonly SparseVector[],
  labels: readonly number[],
  labelNames: readonly string[],
  dimension: number,
  options: LinearSvmOptions = {},
): LinearSvmModel {
  const c = options.c ?? 1;
  const tolerance = options.tolerance ?? 0.1;
  // Text problems converge in a handful of epochs; a cap bounds the time on data whose labels do not separate.
  const maxEpochs = options.maxEpochs ?? 10;
  const random = options.random ?? Math.random;
  const stride = dimension + 1;
  const weights = new Float32Array(labelNames.length * stride);
  const n = vectors.length;
  const diagonal = 0.5 / c;
  const qd = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const x = vectors[i] as SparseVector;
    let squared = 1; // the intercept's constant feature
    for (const value of x.values) squared += value * value;
    qd[i] = squared + diagonal;
  }
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  const alpha = new Float64Array(n);
  const epochs: number[] = [];
  for (let k = 0; k < labelNames.length; k++) {
    if (options.shouldStop?.()) return { labels: labelNames, dimension, weights, epochs, stopped: true };
    alpha.fill(0);
    for (let i = 0; i < n; i++) order[i] = i;
    const w = weights.subarray(k * stride, (k + 1) * stride);
    // liblinear's shrinking: a document whose multiplier is 0 and whose gradient is beyond last epoch's largest
    // projected gradient is set aside until the active ones converge; then all are checked once more.
    let active = n;
    let largestBefore = Number.POSITIVE_INFINITY;
    let epoch = 0;
    for (; epoch < maxEpochs; epoch++) {
      for (let i = active - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        const t = order[i] as number;
        order[i] = order[j] as number;
        order[j] = t;
      }
      let largest = Number.NEGATIVE_INFINITY;
      let smallest = Number.POSITIVE_INFINITY;
      for (let p = 0; p < active; p++) {
        const i = order[p] as number;
        const x = vectors[i] as SparseVector;
        const y = labels[i] === k ? 1 : -1;
        let margin = w[dimension] as number;
        for (let j = 0; j < x.indices.length; j++)
          margin += (w[x.indices[j] as number] as number) * (x.values[j] as number);
        const gradient = y * margin - 1 + diagonal * (alpha[i] as number);
        let projected = gradient;
        if ((alpha[i] as number) === 0) {
          if (gradient > largestBefore) {
            active--;
            order[p] = order[active] as number;
            order[active] = i;
            p--;
            continue;
          }
          if (gradient > 0) projected = 0;
        }
        if (projected > largest) largest = projected;
        if (projected < smallest) smallest = projected;
        if (projected === 0) continue;
        const before = alpha[i] as number;
        const after = Math.max(before - gradient / (qd[i] as number), 0);
        alpha[i] = after;
        const step = (after - before) * y;
        if (step === 0) continue;
        for (let j = 0; j < x.indices.length; j++) {
          const index = x.indices[j] as number;
          w[index] = (w[index] as number) + step * (x.values[j] as number);
        }
        w[dimension] = (w[dimension] as number) + step;
      }
      if (largest - smallest <= tolerance) {
        if (active === n) break;
        active = n;
        largestBefore = Number.POSITIVE_INFINITY;
        continue;
      }
      // (liblinear also tracks the smallest, for multipliers at the upper bound C; squared hinge has none.)
      largestBefore = largest <= 0 ? Number.POSITIVE_INFINITY : largest;
    }
    epochs.push(Math.min(epoch + 1, maxEpochs));
  }
  return { labels: labelNames, dimension, weights, epochs };
}

/** Scores of every class for one document; the highest wins. */
export function decisionScores(model: LinearSvmModel, x: SparseVector): Float64Array {
  const stride = model.dimension + 1;
  const scores = new Float64Array(model.labels.length);
  for (let k = 0; k < model.labels.length; k++) {
    const offset = k * stride;
    let sum = model.weights[offset + model.dimension] as number;
    for (let j = 0; j < x.indices.length; j++) {
      sum += (model.weights[offset + (x.indices[j] as number)] as number) * (x.values[j] as number);
    }
    scores[k] = sum;
  }
  return scores;
}

export function predict(model: LinearSvmModel, x: SparseVector): number {
  const scores = decisionScores(model, x);
  let best = 0;
  for (let k = 1; k < scores.length; k++) if ((scores[k] as number) > (scores[best] as number)) best = k;
  return best;
}
