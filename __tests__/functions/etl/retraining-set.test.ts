import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { InputError } from "../../../functions/etl/errors";
import { buildRetrainingSet, type LabelledCorrection } from "../../../functions/etl/retraining-set";
import { textHash } from "../../../functions/etl/test-set";

/** The served run's files as the ETL wrote them: `label,text` records (RFC 4180), one per line. */
async function servedRun(training: [string, string][], test: [string, string][]) {
  const dir = await mkdtemp(join(tmpdir(), "retraining-"));
  const csv = (rows: [string, string][]) =>
    rows
      .map(([label, text]) => `${label},${/[",]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text}\n`)
      .join("");
  await writeFile(join(dir, "served.csv"), csv(training));
  await writeFile(join(dir, "served.test.csv"), csv(test));
  const outDir = join(dir, "out");
  await mkdir(outDir);
  return {
    served: {
      classifier_arn:
        "arn:aws:comprehend:eu-west-1:123456789012:document-classifier/itsr--tickets-0123456789ab/version/tickets-0123456789ab",
      classifier_name: "itsr--tickets-0123456789ab",
      run_id: "tickets-0123456789ab",
    },
    trainingFiles: [join(dir, "served.csv")],
    testFile: join(dir, "served.test.csv"),
    outDir,
  };
}
const docs = (label: string, n: number, from = 0): [string, string][] =>
  Array.from({ length: n }, (_, i) => [
    label,
    `${label} ticket number ${from + i}, printer on floor ${i % 7}`,
  ]);
const correction = (text: string, label: string, at = "2026-12-01T10:00:00Z"): LabelledCorrection => ({
  text,
  label,
  corrected_at: at,
});
const read = async (path: string) => parse(await readFile(path, "utf8")) as [string, string][];
const settings = { minDocsPerLabel: 50, maxDocBytes: 10_000, testShare: 0.1 };

describe("the retraining set", () => {
  it("keeps the served test documents, lets a correction win over the older label, and never trains on a test text", async () => {
    // Prepare
    const served = await servedRun(
      [...docs("Hardware", 60), ...docs("Access", 60), docs("Hardware", 1, 100)[0] as [string, string]],
      [...docs("Hardware", 6, 100), ...docs("Access", 6, 100)],
    );
    const relabelledTraining = docs("Hardware", 60)[3]?.[1] as string;
    const relabelledTest = docs("Access", 6, 100)[1]?.[1] as string;
    const corrections = [
      correction(`  ${relabelledTraining.replace(" ", "\n")}  `, "Access", "2026-12-01T09:00:00Z"),
      correction(relabelledTraining, "Network", "2026-12-01T08:00:00Z"),
      correction(relabelledTest, "Hardware"),
      correction(docs("Access", 60)[7]?.[1] as string, "Access"),
    ];

    // Act
    const report = await buildRetrainingSet({ ...served, corrections, settings });

    // Assess
    const training = await read(join(served.outDir, "tickets.csv"));
    const test = await read(join(served.outDir, "test", "test.csv"));
    const servedTestTexts = [...docs("Hardware", 6, 100), ...docs("Access", 6, 100)].map(([, t]) => t);
    expect(test.map(([, text]) => text).sort()).toEqual(servedTestTexts.sort());
    expect(test.find(([, text]) => text === relabelledTest)?.[0]).toBe("Hardware");
    expect(training.filter(([, text]) => text === relabelledTraining)).toEqual([
      ["Access", relabelledTraining],
    ]);
    const testTexts = new Set(test.map(([, text]) => text));
    expect(training.filter(([, text]) => testTexts.has(text))).toEqual([]);
    expect(report.retraining).toMatchObject({
      base_training_documents: 121,
      base_test_documents: 12,
      corrections: 3,
      relabelled: 2,
      confirmed: 1,
      added_to_training: 0,
      added_to_test: 0,
      new_labels: [],
    });
    expect(report.label_counts).toEqual({ Access: 61, Hardware: 59 });
    expect(report.test_set?.label_counts).toEqual({ Access: 5, Hardware: 7 });
  });

  it("adds corrected texts the model never saw, holds out a share of them, and gives a new label its own test documents", async () => {
    // Prepare
    const served = await servedRun(
      [...docs("Hardware", 60), ...docs("Access", 60)],
      [...docs("Hardware", 6, 100), ...docs("Access", 6, 100)],
    );
    const newTexts = docs("Licences", 80);
    const corrections = newTexts.map(([label, text]) => correction(text, label));

    // Act
    const report = await buildRetrainingSet({ ...served, corrections, settings });

    // Assess
    const training = await read(join(served.outDir, "tickets.csv"));
    const test = await read(join(served.outDir, "test", "test.csv"));
    const inTest = test.filter(([label]) => label === "Licences").length;
    const inTraining = training.filter(([label]) => label === "Licences").length;
    expect(inTest).toBeGreaterThanOrEqual(1);
    expect(inTest + inTraining).toBe(80);
    expect(inTraining).toBeGreaterThanOrEqual(50);
    const testTexts = new Set(test.map(([, text]) => text));
    expect(training.filter(([, text]) => testTexts.has(text))).toEqual([]);
    expect(report.retraining.new_labels).toEqual(["Licences"]);
    expect(report.retraining.added_to_training + report.retraining.added_to_test).toBe(80);
    expect(Object.keys(report.test_set?.label_counts ?? {}).sort()).toEqual([
      "Access",
      "Hardware",
      "Licences",
    ]);
  });

  it("moves every copy of a text it holds out for a label without test documents, whatever their label", async () => {
    // Prepare: Licences has no test document yet; its lowest-hash text is in it 10 times (more than the 7 to
    // move), and once more under Hardware, whose test documents are already there.
    const licences = docs("Licences", 60);
    const [, first] = [...licences].sort(([, a], [, b]) => textHash(a) - textHash(b))[0] as [string, string];
    const copies = Array.from({ length: 9 }, () => ["Licences", first] as [string, string]);
    const served = await servedRun(
      [...licences, ...copies, ["Hardware", first], ...docs("Hardware", 60)],
      docs("Hardware", 6, 100),
    );

    // Act
    await buildRetrainingSet({ ...served, corrections: [], settings });

    // Assess
    const training = await read(join(served.outDir, "tickets.csv"));
    const test = await read(join(served.outDir, "test", "test.csv"));
    expect(test.filter(([, text]) => text === first).length).toBeGreaterThanOrEqual(1);
    expect(training.filter(([, text]) => text === first)).toEqual([]);
    const testTexts = new Set(test.map(([, text]) => text));
    expect(training.filter(([, text]) => testTexts.has(text))).toEqual([]);
  });

  it("leaves out a new label with too few documents, saying why, and trains on the rest", async () => {
    // Prepare
    const served = await servedRun(
      [...docs("Hardware", 60), ...docs("Access", 60)],
      [...docs("Hardware", 6, 100), ...docs("Access", 6, 100)],
    );
    const corrections = docs("Licences", 3).map(([label, text]) => correction(text, label));

    // Act
    const report = await buildRetrainingSet({ ...served, corrections, settings });

    // Assess
    expect(report.left_out_labels).toEqual([
      expect.objectContaining({
        label: "Licences",
        documents: 3,
        reason: expect.stringContaining("fewer than 50 training documents"),
      }),
    ]);
    const all = [
      ...(await read(join(served.outDir, "tickets.csv"))),
      ...(await read(join(served.outDir, "test", "test.csv"))),
    ];
    expect(all.some(([label]) => label === "Licences")).toBe(false);
    expect(report.retraining.new_labels).toEqual([]);
  });

  it("refuses a set that would have one label left, naming it, and writes nothing usable", async () => {
    // Prepare
    const served = await servedRun(
      [...docs("Hardware", 60), ...docs("Access", 50)],
      [...docs("Hardware", 6, 100), ...docs("Access", 5, 100)],
    );
    const corrections = docs("Access", 2).map(([, text]) => correction(text, "Hardware"));

    // Act
    const building = buildRetrainingSet({ ...served, corrections, settings });

    // Assess
    await expect(building).rejects.toThrow(InputError);
    await expect(building).rejects.toThrow(/only one usable label \(Hardware\)/);
  });
});
