import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildFixtureSet, corrupt, type FixtureSet, writeFixture } from "../../fixtures/etl/fixture-set";
import { writeZip } from "../../fixtures/etl/seoss-fixture";

const root = resolve(__dirname, "../../..");
/** What `npm run etl` runs: the prebuilt bundle, rebuilt when a source changed. */
const launcher = join(root, "scripts/run-cli.cjs");

let fixtures: FixtureSet;

beforeAll(async () => {
  fixtures = await buildFixtureSet();
});

afterAll(async () => {
  await rm(fixtures.dir, { recursive: true, force: true });
});

/** Runs the command as `npm run etl` does: a separate Node 22 process from the bundle, not a terminal. */
function etl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [launcher, "etl", ...args], { cwd: root }, (error, stdout, stderr) => {
      done({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

describe("npm run etl", () => {
  it("writes the training CSVs and report.json, prints a summary and exits 0", async () => {
    // Prepare
    const out = await mkdtemp(join(fixtures.dir, "out-"));

    // Act
    const result = await etl(["--input", fixtures.goodZip, "--out", out, "--min-docs-per-label", "5"]);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`15 documents in 2 labels -> ${out}`);
    expect(result.stdout).toContain("  SPARK: 10");
    expect(result.stdout).toContain("left out (fewer than 5 documents): TINY (2)");
    expect(result.stdout).toContain(
      `test set: 2 documents (10% of each label, held out of training) -> ${join(out, "test", "test.csv")}`,
    );
    expect(result.stderr).toContain("[1/3] SEOSS/spark.sqlite3.bz2");
    expect(result.stderr).not.toContain("ExperimentalWarning");
    expect((await readdir(out)).sort()).toEqual(["0000-spark.csv", "0001-hadoop.csv", "report.json", "test"]);
    const report = JSON.parse(await readFile(join(out, "report.json"), "utf8"));
    expect(report.label_counts).toEqual({ HADOOP: 5, SPARK: 10 });
    expect(report.test_set).toMatchObject({ documents: 2, label_counts: { HADOOP: 1, SPARK: 1 } });
    // No test document is a training document (the split is by the text's hash).
    const test = (await readFile(join(out, "test", "test.csv"), "utf8")).trim().split("\n");
    const training = `${await readFile(join(out, "0000-spark.csv"), "utf8")}${await readFile(join(out, "0001-hadoop.csv"), "utf8")}`;
    expect(test).toHaveLength(2);
    for (const line of test) expect(training.split("\n")).not.toContain(line);
  });

  it("exits 1 naming the corrupt member, and leaves no training files behind", async () => {
    // Prepare
    const zip = join(fixtures.dir, "cli-corrupt.zip");
    await writeZip(zip, [
      { name: "hadoop.sqlite3.bz2", data: fixtures.hadoopBz2 },
      { name: "spark.sqlite3.bz2", data: corrupt(fixtures.sparkBz2, 3000) },
    ]);
    const out = await mkdtemp(join(fixtures.dir, "out-"));

    // Act
    const result = await etl(["--input", zip, "--out", out]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/error: zip member spark\.sqlite3\.bz2 is corrupt or truncated/);
    expect(await readdir(out)).toEqual([]);
  });

  it("exits 1 naming the missing CSV column", async () => {
    // Prepare
    const csv = await writeFixture(fixtures.dir, "cli.csv", "group,title\nA,b\n");
    const out = await mkdtemp(join(fixtures.dir, "out-"));

    // Act
    const result = await etl([
      "--input",
      csv,
      "--out",
      out,
      "--label-column",
      "group",
      "--text-columns",
      "title,body",
    ]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'error: the CSV has no text column "body"; its columns are: "group", "title". Name the text column with --text-columns\n',
    );
  });

  it.each([
    ["a folder", (dir: string) => dir, "is a directory; give the dataset file (a .zip or .csv)"],
    ["a missing file", (dir: string) => join(dir, "nope.zip"), "does not exist"],
  ])("exits 2 for %s as --input, creating no output folder", async (_, input, message) => {
    // Prepare
    const out = join(fixtures.dir, `never-made-${Math.random().toString(36).slice(2)}`);

    // Act
    const result = await etl(["--input", input(fixtures.dir), "--out", out]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`error: --input ${input(fixtures.dir)} ${message}\n`);
    await expect(readdir(out)).rejects.toThrow("ENOENT");
  });

  it("names an Excel workbook instead of calling it a zip without databases", async () => {
    // Prepare: an .xlsx is a zip whose first member is [Content_Types].xml.
    const xlsx = join(fixtures.dir, "tickets.xlsx");
    await writeZip(xlsx, [{ name: "[Content_Types].xml", data: Buffer.from("<Types/>") }]);
    const out = await mkdtemp(join(fixtures.dir, "out-"));

    // Act
    const result = await etl(["--input", xlsx, "--out", out]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "tickets.xlsx is an Office document (an Excel workbook or similar), not a dataset: save or export it as CSV",
    );
  });

  const exportRows = (delimiter: string) =>
    [
      ["assignment_group", "short_description", "description"],
      ...Array.from({ length: 6 }, (_, i) => ["Network Team", `VPN drops ${i}`, "cannot reach; the office"]),
      ...Array.from({ length: 3 }, (_, i) => ["network team", `Wifi slow ${i}`, "since Monday"]),
      ...Array.from({ length: 6 }, (_, i) => ["Database", `Query slow ${i}`, "timeout"]),
      ["Database", "", ""],
    ]
      .map((row) => row.map((cell) => (cell.includes(delimiter) ? `"${cell}"` : cell)).join(delimiter))
      .join("\n");

  it("detects a semicolon-separated export and says so; warns about labels that differ only in case", async () => {
    // Prepare
    const csv = await writeFixture(fixtures.dir, "semicolon.csv", exportRows(";"));
    const out = await mkdtemp(join(fixtures.dir, "out-"));

    // Act
    const result = await etl([
      "--input",
      csv,
      "--out",
      out,
      "--min-docs-per-label",
      "2",
      "--test-share",
      "0",
    ]);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("15 documents in 3 labels");
    expect(result.stdout).toContain("CSV delimiter: ';' (detected)");
    expect(result.stdout).toContain("dropped: 1 empty document\n");
    expect(result.stdout).toContain(
      'warning: labels that differ only in case or spacing are separate classes: "Network Team" (6), "network team" (3); fix the export, or merge them with npm run etl -- --merge-label-variants',
    );
    const report = JSON.parse(await readFile(join(out, "report.json"), "utf8"));
    expect(report.csv.label_variants).toEqual([
      {
        labels: [
          { label: "Network Team", documents: 6 },
          { label: "network team", documents: 3 },
        ],
        merged_into: null,
      },
    ]);
  });

  it("reads a tab-separated export named with --delimiter tab and merges label variants when asked", async () => {
    // Prepare
    const tsv = await writeFixture(fixtures.dir, "tabs.tsv.csv", exportRows("\t"));
    const out = await mkdtemp(join(fixtures.dir, "out-"));

    // Act
    const result = await etl([
      "--input",
      tsv,
      "--out",
      out,
      "--test-share",
      "0",
      "--min-docs-per-label",
      "2",
      "--delimiter",
      "tab",
      "--merge-label-variants",
    ]);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("15 documents in 2 labels");
    expect(result.stdout).toContain("  Network Team: 9");
    expect(result.stdout).toContain("CSV delimiter: tab (as given)");
    expect(result.stdout).toContain('were merged into "Network Team"');
  });

  it.each([
    [
      "Windows-1252 (Excel's CSV on Western Windows)",
      "windows-1252",
      "not UTF-8; it was read as Windows-1252",
    ],
    ["UTF-16 with a byte order mark (Excel's Unicode Text)", "utf-16le", "UTF-16LE (with a byte order mark"],
  ])("converts an export in %s, keeping its accents, and says so", async (_, encoding, said) => {
    // Prepare: the same export as bytes in that encoding.
    const rows = ["assignment_group,short_description"];
    for (let i = 0; i < 3; i++) rows.push(`Réseau,Wi-Fi coupé ${i}`, `Poste de travail,écran noir ${i}`);
    const text = `${rows.join("\r\n")}\r\n`;
    const bytes =
      encoding === "utf-16le"
        ? Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")])
        : Buffer.from([...text].map((c) => (c === "é" ? 0xe9 : c.charCodeAt(0))));
    const input = join(fixtures.dir, `export-${encoding}.csv`);
    await writeFile(input, bytes);
    const out = await mkdtemp(join(fixtures.dir, "out-"));

    // Act
    const result = await etl([
      "--input",
      input,
      "--out",
      out,
      "--test-share",
      "0",
      "--min-docs-per-label",
      "2",
      "--text-columns",
      "short_description",
    ]);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("  Réseau: 3");
    expect(result.stdout).toContain(said);
    expect(await readFile(join(out, "tickets.csv"), "utf8")).toContain("Wi-Fi coupé 0");
  });

  it("counts SEOSS bug reports without a summary or description, by reason", async () => {
    // Prepare
    const out = await mkdtemp(join(fixtures.dir, "out-"));

    // Act
    const result = await etl(["--input", fixtures.goodZip, "--out", out, "--min-docs-per-label", "5"]);

    // Assess
    expect(result.stdout).toContain(
      "dropped: 1 empty document, 2 bug reports without a summary or description",
    );
  });

  it("exits 2 with usage when arguments are missing or wrong", async () => {
    // Act
    const missing = await etl(["--out", join(tmpdir(), "unused")]);
    const wrong = await etl(["--input", fixtures.goodZip, "--out", fixtures.dir, "--max-doc-bytes", "0"]);

    // Assess
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: --input is required\n\nusage: npm run etl/);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^error: --max-doc-bytes must be a positive integer, got "0"/);
  });
});
