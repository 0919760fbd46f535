import type { Evaluation } from "../../../functions/evaluation/evaluate";
import { computeMetrics } from "../../../functions/evaluation/metrics";
import { verdictOf } from "../../../functions/evaluation/verdict";

describe("computeMetrics", () => {
  it("matches hand-computed precision, recall and F1, with a label never predicted", () => {
    // Prepare: labels A, B, C; C is never predicted.
    //   actual    A A A B B C
    //   predicted A A B B A A
    const labels = ["A", "B", "C"];

    // Act
    const m = computeMetrics(labels, [0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 0, 0]);

    // Assess: A: tp 2, predicted 4, support 3 -> P 1/2, R 2/3, F1 4/7. B: tp 1, predicted 2, support 2 -> P 1/2, R 1/2.
    // C: tp 0, predicted 0 -> P 0 (zero division), R 0, F1 0.
    expect(m.accuracy).toBeCloseTo(3 / 6);
    expect(m.labels.map((l) => [l.label, l.precision, l.recall, l.support, l.predicted])).toEqual([
      ["A", 0.5, 2 / 3, 3, 4],
      ["B", 0.5, 0.5, 2, 2],
      ["C", 0, 0, 1, 0],
    ]);
    expect(m.labels[0]?.f1).toBeCloseTo(4 / 7);
    expect(m.labels[1]?.f1).toBeCloseTo(0.5);
    expect(m.macroF1).toBeCloseTo((4 / 7 + 0.5 + 0) / 3);
    expect(m.weightedF1).toBeCloseTo(((4 / 7) * 3 + 0.5 * 2 + 0) / 6);
    expect(m.confusionMatrix).toEqual([
      [2, 1, 0],
      [1, 1, 0],
      [1, 0, 0],
    ]);
  });

  it("counts a label absent from the test part with recall 0 and support 0, and in the macro average", () => {
    const m = computeMetrics(["A", "B", "C"], [0, 0, 1], [0, 2, 1]);

    expect(m.labels[2]).toEqual({ label: "C", precision: 0, recall: 0, f1: 0, support: 0, predicted: 1 });
    expect(m.macroF1).toBeCloseTo((2 / 3 + 1 + 0) / 3);
  });

  it("lists the most confused pairs, largest first, with the share of the actual label", () => {
    const m = computeMetrics(["A", "B", "C"], [0, 0, 0, 0, 1, 1, 2], [1, 1, 2, 0, 0, 1, 2], 2);

    expect(m.mostConfused).toEqual([
      { actual: "A", predicted: "B", count: 2, share: 0.5 },
      { actual: "B", predicted: "A", count: 1, share: 0.5 },
    ]);
  });

  it("refuses predictions that do not line up with the truth", () => {
    expect(() => computeMetrics(["A", "B"], [0, 1], [0])).toThrow("differ in length");
  });
});

describe("the page's verdict", () => {
  const evaluation = (f1s: Record<string, number>, macroF1: number) =>
    ({
      metrics: {
        macroF1,
        labels: Object.entries(f1s).map(([label, f1]) => ({
          label,
          f1,
          precision: f1,
          recall: f1,
          support: 10,
          predicted: 10,
        })),
      },
      mostConfused: [{ actual: "Printers", predicted: "Hardware", count: 7, share: 0.7, examples: [] }],
    }) as unknown as Evaluation;

  it("says good enough to train when every label is told apart well", () => {
    expect(verdictOf(evaluation({ Network: 0.9, Hardware: 0.85 }, 0.875)).verdict).toBe(
      "Good enough to train.",
    );
  });

  it("names the weak labels and what they are taken for when the average hides them", () => {
    const { verdict, reason } = verdictOf(evaluation({ Network: 0.95, Hardware: 0.9, Printers: 0.3 }, 0.72));

    expect(verdict).toBe("Train, but look at the weakest labels first.");
    expect(reason).toContain("Printers (30.0%) is mostly missed; Printers is most often taken for Hardware");
  });

  it("says fix the labels first below half", () => {
    const { verdict, reason } = verdictOf(evaluation({ Network: 0.4, Hardware: 0.3 }, 0.35));

    expect(verdict).toBe("Fix these labels first.");
    expect(reason).toContain("Macro-F1 is 35.0%");
  });
});
