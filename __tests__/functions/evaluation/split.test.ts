import { seededRandom, stratifiedFolds, stratifiedHoldout } from "../../../functions/evaluation/split";

const labels = [...Array(100).fill(0), ...Array(30).fill(1), ...Array(7).fill(2), 3] as number[];
const countOf = (indices: number[], label: number) => indices.filter((i) => labels[i] === label).length;

describe("stratifiedHoldout", () => {
  it("holds out the same share of every label, and keeps one of each on the training side", () => {
    const { train, test } = stratifiedHoldout(labels, 0.2, 1);

    expect([0, 1, 2, 3].map((label) => countOf(test, label))).toEqual([20, 6, 1, 0]);
    expect([0, 1, 2, 3].map((label) => countOf(train, label))).toEqual([80, 24, 6, 1]);
    expect(new Set([...train, ...test]).size).toBe(labels.length);
  });

  it("is reproducible with a seed, and differs with another", () => {
    expect(stratifiedHoldout(labels, 0.2, 7)).toEqual(stratifiedHoldout(labels, 0.2, 7));
    expect(stratifiedHoldout(labels, 0.2, 7).test).not.toEqual(stratifiedHoldout(labels, 0.2, 8).test);
  });
});

describe("stratifiedFolds", () => {
  it("tests every document exactly once and spreads each label over the folds", () => {
    const folds = stratifiedFolds(labels, 5, 3);

    expect(folds.flat().sort((a, b) => a - b)).toEqual(labels.map((_, i) => i));
    for (const fold of folds) {
      expect(countOf(fold, 0)).toBe(20);
      expect(countOf(fold, 1)).toBe(6);
      expect(countOf(fold, 2)).toBeGreaterThanOrEqual(1);
    }
    expect(stratifiedFolds(labels, 5, 3)).toEqual(folds);
  });
});

describe("seededRandom", () => {
  it("gives the same numbers in [0, 1) for the same seed", () => {
    const a = seededRandom(5);
    const b = seededRandom(5);
    const drawn = Array.from({ length: 1000 }, () => a());

    expect(drawn).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(Math.min(...drawn)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...drawn)).toBeLessThan(1);
  });
});
