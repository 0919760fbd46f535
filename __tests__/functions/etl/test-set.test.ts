import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { firstField } from "../../../functions/etl/etl";
import {
  holdOutTestSet,
  TEST_SET_DIR,
  TEST_SET_FILE,
  testDocumentsFor,
  trainableAfterHoldOut,
} from "../../../functions/etl/test-set";

/** Training files as the ETL writes them: `label,text` records, one per line. */
async function trainingFiles(files: Record<string, string[]>) {
  const dir = await mkdtemp(join(tmpdir(), "test-set-"));
  const written = [];
  for (const [name, lines] of Object.entries(files)) {
    await writeFile(join(dir, name), `${lines.join("\n")}\n`);
    written.push({ name, bytes: 0, documents: lines.length });
  }
  return { dir, files: written };
}
const lines = (label: string, n: number, text = (i: number) => `ticket ${label} number ${i}`) =>
  Array.from({ length: n }, (_, i) => `${label},${text(i)}`);
const read = async (path: string) => (await readFile(path, "utf8")).split("\n").filter(Boolean);

describe("the fixed test set", () => {
  it("holds out a tenth of every label, at least one, and leaves every label its training minimum", () => {
    expect(testDocumentsFor(1000, 0.1)).toBe(100);
    expect(testDocumentsFor(55, 0.1)).toBe(5);
    expect(testDocumentsFor(9, 0.1)).toBe(1);
    expect(testDocumentsFor(100, 0)).toBe(0);
    expect(trainableAfterHoldOut(55, 0.1, 50)).toBe(true);
    expect(trainableAfterHoldOut(50, 0.1, 50)).toBe(false);
    expect(trainableAfterHoldOut(50, 0, 50)).toBe(true);
  });

  it("splits by the text's hash: every label in the test file, no document on both sides, the same split every time", async () => {
    // Prepare
    const input = {
      "a.csv": lines("Network", 300),
      "b.csv": [...lines("Desk", 80), ...lines('"Db, Team"', 60)],
    };
    const first = await trainingFiles(input);
    const second = await trainingFiles(input);

    // Act
    const held = await holdOutTestSet({
      outDir: first.dir,
      files: first.files,
      share: 0.1,
      minDocsPerLabel: 50,
      labelOf: firstField,
    });
    const again = await holdOutTestSet({
      outDir: second.dir,
      files: second.files,
      share: 0.1,
      minDocsPerLabel: 50,
      labelOf: firstField,
    });

    // Assess
    expect(held.labelCounts).toEqual({ Network: 30, Desk: 8, "Db, Team": 6 });
    expect(held.path).toBe(join(first.dir, TEST_SET_DIR, TEST_SET_FILE));
    const test = await read(held.path);
    const training = [...(await read(join(first.dir, "a.csv"))), ...(await read(join(first.dir, "b.csv")))];
    expect(test).toHaveLength(44);
    expect(training).toHaveLength(440 - 44);
    expect(test.filter((line) => training.includes(line))).toEqual([]);
    expect(held.files.map((f) => f.documents)).toEqual([270, 126]);
    expect(await read(again.path)).toEqual(test);
  });

  it("splits copies of one text only as far as holding out the label's share needs", async () => {
    // Prepare: 60 copies of one text (a monitoring alert) and 60 distinct tickets.
    const { dir, files } = await trainingFiles({
      "t.csv": [...lines("Alerts", 60, () => "disk usage above 90% on db01"), ...lines("Desk", 60)],
    });

    // Act
    const held = await holdOutTestSet({
      outDir: dir,
      files,
      share: 0.1,
      minDocsPerLabel: 50,
      labelOf: firstField,
    });

    // Assess: all copies would leave Alerts no training: exactly its six go, Desk's six are distinct texts.
    expect(held.labelCounts).toEqual({ Alerts: 6, Desk: 6 });
    const training = await read(join(dir, "t.csv"));
    expect(training.filter((l) => l.startsWith("Alerts,"))).toHaveLength(54);
  });
});
