import {
  CURVE_POINTS,
  routingThresholds,
  type ScoredPrediction,
  shouldRoute,
  stratifiedSample,
} from "../../../functions/evaluation/routing";

const answer = (predicted: string, score: number, actual = predicted): ScoredPrediction => ({
  actual,
  predicted,
  score,
});

describe("routing thresholds", () => {
  it("picks, per label, the lowest score at which its answers are still right often enough", () => {
    // Prepare: Network's answers from the surest down: right, right, right, wrong, right, wrong, wrong.
    const predictions = [
      answer("Network", 0.99),
      answer("Network", 0.95),
      answer("Network", 0.9),
      answer("Network", 0.8, "Desk"),
      answer("Network", 0.7),
      answer("Network", 0.6, "Desk"),
      answer("Network", 0.4, "Access"),
      answer("Desk", 0.97),
      answer("Desk", 0.5),
    ];

    // Act
    const routing = routingThresholds(predictions, 0.8);

    // Assess: 4 of the top 5 Network answers are right (0.8): 0.7 is its threshold, 5 of 7 answers routed.
    const network = routing.labels.find((l) => l.label === "Network");
    expect(network).toMatchObject({ threshold: 0.7, precision: 0.8, routed: 5, answers: 7 });
    expect(network?.coverage).toBeCloseTo(5 / 7);
    expect(routing.labels.find((l) => l.label === "Desk")).toMatchObject({ threshold: 0.5, routed: 2 });
    // Access is never an answer: no threshold, nothing routed, but it is listed.
    expect(routing.labels.find((l) => l.label === "Access")).toMatchObject({
      threshold: null,
      routed: 0,
      answers: 0,
    });
    expect(routing).toMatchObject({ documents: 9, routed: 7 });
    expect(routing.coverage).toBeCloseTo(7 / 9);
  });

  it("routes tied scores together and gives no threshold when even the surest answers miss the target", () => {
    const routing = routingThresholds(
      [answer("A", 0.9), answer("A", 0.9, "B"), answer("A", 0.5), answer("B", 0.99, "A"), answer("B", 0.6)],
      0.9,
    );

    // A's two answers at 0.9 go together (1 of 2 right): never 90% right, so no threshold.
    expect(routing.labels.find((l) => l.label === "A")).toMatchObject({
      threshold: null,
      precision: null,
      coverage: 0,
    });
    expect(routing.labels.find((l) => l.label === "A")?.curve[0]).toEqual({
      threshold: 0.9,
      precision: 0.5,
      coverage: 2 / 3,
    });
    expect(routing.labels.find((l) => l.label === "B")).toMatchObject({ threshold: null });
  });

  it("keeps the curve to a drawable number of points, from the highest threshold down", () => {
    const predictions = Array.from({ length: 1000 }, (_, i) =>
      answer("A", 1 - i / 1000, i % 10 === 0 ? "B" : "A"),
    );
    const { curve } = routingThresholds(predictions, 0.5).labels.find((l) => l.label === "A") ?? {
      curve: [],
    };
    expect(curve).toHaveLength(CURVE_POINTS);
    expect(curve[0]?.threshold).toBe(1);
    expect(curve[curve.length - 1]?.coverage).toBe(1);
  });

  it("refuses a target precision outside (0, 1]", () => {
    expect(() => routingThresholds([], 0)).toThrow(RangeError);
    expect(() => routingThresholds([], 1.2)).toThrow("at most 1");
  });

  it("routes an answer only when its label has a threshold that the score reaches", () => {
    const thresholds = { Network: 0.7, Access: null };
    expect(shouldRoute(thresholds, "Network", 0.7)).toBe(true);
    expect(shouldRoute(thresholds, "Network", 0.69)).toBe(false);
    expect(shouldRoute(thresholds, "Access", 0.99)).toBe(false);
    expect(shouldRoute(thresholds, "Licences", 0.99)).toBe(false);
  });
});

describe("the scoring sample", () => {
  const docs = (label: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({ label, text: `${label} ${i}` }));

  it("keeps each label's share, at least one document, the same documents every time", () => {
    const test = [...docs("Big", 900), ...docs("Mid", 95), ...docs("Tiny", 5)];

    const sample = stratifiedSample(test, 100);
    const again = stratifiedSample([...test].reverse(), 100);

    const count = (label: string) => sample.filter((d) => d.label === label).length;
    expect(sample).toHaveLength(100);
    expect([count("Big"), count("Mid"), count("Tiny")]).toEqual([90, 9, 1]);
    expect(new Set(again.map((d) => d.text))).toEqual(new Set(sample.map((d) => d.text)));
  });

  it("takes everything when the test set is small enough", () => {
    expect(stratifiedSample(docs("A", 10), 5000)).toHaveLength(10);
  });
});
