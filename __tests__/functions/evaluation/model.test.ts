import { planBaseline } from "../../../functions/evaluation/baseline";
import { EvaluationTimeout, evaluateDocuments } from "../../../functions/evaluation/evaluate";
import { predict, trainLinearSvm } from "../../../functions/evaluation/linear-svm";
import { fitVectorizer, termCounts, vectorize } from "../../../functions/evaluation/text-features";

describe("text features", () => {
  it("counts words of two or more letters or digits, lower-cased, and word pairs", () => {
    const terms = termCounts("VPN vpn drops, a VPN", 20);

    // words: vpn x3, drops; pairs: vpn-vpn, vpn-drops, drops-vpn ("a" is too short, as in scikit-learn)
    expect(terms.indices.length).toBe(5);
    expect([...terms.counts].sort()).toEqual([1, 1, 1, 1, 3]);
  });

  it("keeps only terms seen in two training documents, weighs them by sublinear TF-IDF and normalises", () => {
    const training = ["printer jam", "printer offline", "password reset"].map((t) => termCounts(t, 16));
    const vectorizer = fitVectorizer(training, 16, 2);

    const vector = vectorize(termCounts("printer printer unknownword", 16), vectorizer);

    expect(vector.indices.length).toBe(1);
    expect(vector.values[0]).toBeCloseTo(1);
  });
});

describe("linear SVM", () => {
  it("separates classes by their words", () => {
    const texts = [
      ["vpn", "vpn cannot connect"],
      ["vpn", "vpn tunnel drops"],
      ["vpn", "connect vpn from home"],
      ["printer", "printer paper jam"],
      ["printer", "printer offline again"],
      ["printer", "toner empty printer"],
      ["password", "password reset please"],
      ["password", "forgot password again"],
      ["password", "reset my password"],
    ] as const;
    const names = ["vpn", "printer", "password"];
    const terms = texts.map(([, text]) => termCounts(text, 16));
    const vectorizer = fitVectorizer(terms, 16, 1);

    const model = trainLinearSvm(
      terms.map((t) => vectorize(t, vectorizer)),
      texts.map(([label]) => names.indexOf(label)),
      names,
      1 << 16,
    );

    for (const [label, text] of [
      ["vpn", "the vpn again"],
      ["printer", "printer jam"],
      ["password", "password please"],
    ]) {
      expect(names[predict(model, vectorize(termCounts(text as string, 16), vectorizer))]).toBe(label);
    }
  });
});

describe("evaluateDocuments", () => {
  const documents = (perLabel: Record<string, number>) =>
    Object.entries(perLabel).flatMap(([label, n]) =>
      Array.from({ length: n }, (_, i) => ({
        label,
        text: `${label} issue number ${i} with ${label}-specific words ${label}${i % 7}`,
      })),
    );

  it("uses k folds when a label is small, and a held-out part otherwise", () => {
    const small = evaluateDocuments(documents({ network: 60, database: 60, desktop: 20 }), { seed: 1 });
    const large = evaluateDocuments(documents({ network: 80, database: 80, desktop: 60 }), { seed: 1 });

    expect(small.split).toMatchObject({ method: "k-fold", folds: 5, testDocuments: 140 });
    expect(large.split).toMatchObject({ method: "holdout", testDocuments: 44 });
    expect(large.metrics.accuracy).toBeGreaterThan(0.9);
    expect(large.labels).toEqual(["database", "network", "desktop"]);
  });

  it("gives examples of the most confused pairs and is reproducible", () => {
    const noisy = [
      ...documents({ alpha: 60, beta: 60 }),
      ...Array.from({ length: 30 }, (_, i) => ({
        label: i % 2 ? "alpha" : "beta",
        text: `shared words only ${i % 3}`,
      })),
    ];

    const first = evaluateDocuments(noisy, { seed: 9 });

    expect(first.mostConfused.length).toBeGreaterThan(0);
    expect(first.mostConfused[0]?.examples.length).toBeGreaterThan(0);
    expect(evaluateDocuments(noisy, { seed: 9 }).metrics).toEqual(first.metrics);
  });

  it("refuses a dataset of one label", () => {
    expect(() => evaluateDocuments(documents({ only: 10 }))).toThrow("at least two labels");
  });
});

describe("the baseline's budget", () => {
  const GiB = 1024 ** 3;

  it("samples fewer documents as labels grow, so its time stays near a minute", () => {
    expect(planBaseline({ labels: 8, memoryBytes: GiB }, 50_000)).toEqual({
      maxDocuments: 50_000,
      hashBits: 20,
    });
    expect(planBaseline({ labels: 200, memoryBytes: GiB }, 50_000)).toEqual({
      maxDocuments: 25_000,
      hashBits: 20,
    });
  });

  it("shrinks the feature space so the weights fit the memory share", () => {
    // 4 bytes a weight: 300 labels x 2^20 would take 1.2 GB of a 1 GiB share.
    expect(planBaseline({ labels: 300, memoryBytes: GiB }, 50_000).hashBits).toBe(19);
  });

  it("is skipped, with the reason, where the labels are too many for a meaningful sample", () => {
    expect(() => planBaseline({ labels: 1000, memoryBytes: GiB }, 50_000)).toThrow(
      "1000 labels are too many for a baseline within the function's time (it would sample fewer than 10 documents a label)",
    );
  });

  it("gives up with EvaluationTimeout at its deadline instead of running on", () => {
    const documents = ["a", "b", "c"].flatMap((label) =>
      Array.from({ length: 30 }, (_, i) => ({ label, text: `${label}${i} word${label} other${i % 5}` })),
    );

    expect(() => evaluateDocuments(documents, { deadline: Date.now() - 1 })).toThrow(EvaluationTimeout);
  });
});
