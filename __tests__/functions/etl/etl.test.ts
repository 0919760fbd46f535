import { mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { InputError } from "../../../functions/etl/errors";
import { type EtlRequest, runEtl } from "../../../functions/etl/etl";
import {
  AWKWARD_DOCUMENTS,
  AWKWARD_ROWS,
  buildFixtureSet,
  corrupt,
  type FixtureSet,
  plainBugs,
  writeFixture,
} from "../../fixtures/etl/fixture-set";
import { bzip2Db, writeZip } from "../../fixtures/etl/seoss-fixture";

const SETTINGS = {
  minDocsPerLabel: 5,
  maxDocBytes: 2000,
  labelColumn: "assignment_group",
  textColumns: ["short_description", "description"],
  workers: 2,
};

let fixtures: FixtureSet;
let runRoot: string;

beforeAll(async () => {
  fixtures = await buildFixtureSet();
  runRoot = await mkdtemp(join(tmpdir(), "etl-runs-"));
});

afterAll(async () => {
  await rm(fixtures.dir, { recursive: true, force: true });
  await rm(runRoot, { recursive: true, force: true });
});

async function run(inputPath: string, overrides: Partial<EtlRequest> = {}) {
  const dir = await mkdtemp(join(runRoot, "run-"));
  const outDir = join(dir, "out");
  const workDir = join(dir, "work");
  await mkdir(outDir);
  await mkdir(workDir);
  const report = await runEtl({
    inputPath,
    inputName: inputPath,
    outDir,
    workDir,
    settings: SETTINGS,
    ...overrides,
  });
  return { report, outDir, workDir, dir };
}

async function records(path: string): Promise<string[][]> {
  return parse(await readFile(path, "utf8"), { relax_column_count: false });
}

async function zipOf(name: string, entries: Parameters<typeof writeZip>[1]): Promise<string> {
  const path = join(fixtures.dir, name);
  await writeZip(path, entries);
  return path;
}

describe("runEtl with the SEOSS zip", () => {
  it("turns bug reports into label,text records, one file per project", async () => {
    // Act
    const { outDir } = await run(fixtures.goodZip);

    // Assess
    expect((await readdir(outDir)).sort()).toEqual(["0000-spark.csv", "0001-hadoop.csv"]);
    const spark = await records(join(outDir, "0000-spark.csv"));
    expect(spark.every((record) => record.length === 2 && record[0] === "SPARK")).toBe(true);
    expect(spark.map((record) => record[1])).toEqual(expect.arrayContaining(AWKWARD_DOCUMENTS));
    const hadoop = await records(join(outDir, "0001-hadoop.csv"));
    expect(hadoop).toHaveLength(6);
    expect(hadoop[0]).toEqual(["HADOOP", "HADOOP bug 100 Steps to reproduce 0"]);
  });

  it("writes RFC 4180 quoting, one record per line, no header", async () => {
    // Act
    const { outDir } = await run(fixtures.goodZip);

    // Assess
    const lines = (await readFile(join(outDir, "0000-spark.csv"), "utf8")).split("\n");
    expect(lines).toContain('SPARK,"Crash, ""quoted"" Line1 Line2 Tabbed spaces"');
    expect(lines[0]?.startsWith("SPARK,")).toBe(true);
    expect(lines.at(-1)).toBe("");
  });

  it("takes only bugs with both summary and description, drops empty ones and cuts huge ones", async () => {
    // Act
    const { report, outDir } = await run(fixtures.goodZip);

    // Assess: 7 awkward rows -> 3 usable bugs (2 awkward + the huge trace); NULLs, the improvement and the
    // whitespace-only one are gone
    const spark = report.members?.find((member) => member.label === "SPARK");
    expect(spark).toMatchObject({
      name: "SEOSS/spark.sqlite3.bz2",
      bug_rows: 14,
      documents: 11,
      empty_dropped: 1,
      null_text_dropped: 2,
      cut: 1,
    });
    const texts = (await records(join(outDir, "0000-spark.csv"))).map((record) => record[1] as string);
    const huge = texts.find((text) => text.startsWith("Huge trace")) as string;
    expect(Buffer.byteLength(huge)).toBeLessThanOrEqual(2000);
    expect(Buffer.byteLength(huge)).toBeGreaterThan(1900);
    expect(texts.some((text) => text.includes("Not a bug") || text.includes("No summary"))).toBe(false);
  });

  it("leaves out labels under the minimum and reports them, ignoring MANIFEST.TXT", async () => {
    // Act
    const { report } = await run(fixtures.goodZip);

    // Assess
    expect(report.label_counts).toEqual({ HADOOP: 6, SPARK: 11 });
    expect(report.label_count).toBe(2);
    expect(report.document_count).toBe(17);
    expect(report.left_out_labels).toEqual([
      { label: "TINY", documents: 2, reason: "fewer than 5 documents (Comprehend's per-class minimum)" },
    ]);
    expect(report.ignored_entries).toEqual([
      { name: "MANIFEST.TXT", reason: "not a bzip2-compressed SQLite database (*.sqlite3.bz2)" },
    ]);
    expect(report.members?.find((member) => member.label === "TINY")).toMatchObject({ output_file: null });
  });

  it("reports sizes, settings and timing in the report", async () => {
    // Act
    const { report, outDir } = await run(fixtures.goodZip);

    // Assess
    const files = await readdir(outDir);
    expect(report.input).toEqual({ name: fixtures.goodZip, kind: "seoss-zip", bytes: expect.any(Number) });
    expect(report.settings).toEqual({ min_docs_per_label: 5, max_doc_bytes: 2000 });
    expect(report.output.files.map((file) => file.name)).toEqual(files.sort());
    expect(report.output.files.map((file) => file.documents)).toEqual([11, 6]);
    expect(report.output.bytes).toBe(report.output.files.reduce((sum, file) => sum + file.bytes, 0));
    expect(report.output.decompressed_bytes).toBeGreaterThan(report.input.bytes);
    expect(report.dropped).toEqual({ empty: 1, no_label: 0, null_text: 2, left_out_label_documents: 2 });
    expect(report.cut).toEqual({ documents: 1, max_doc_bytes: 2000 });
    expect(report.timing_ms.total).toBeGreaterThanOrEqual(0);
    // The mean document length, from the very records written (label, comma, quotes and line end taken off).
    const records = (await Promise.all(files.map((file) => readFile(join(outDir, file), "utf8"))))
      .join("")
      .split("\n")
      .filter(Boolean)
      .map((line) => parse(line)[0] as string[]);
    const written = records.reduce((sum, [, text]) => sum + Buffer.byteLength(text as string), 0);
    expect(report.document_bytes?.mean).toBeGreaterThan(0);
    expect(Math.abs((report.document_bytes?.mean ?? 0) - written / records.length)).toBeLessThan(
      (2 * 2000) / records.length,
    );
  });

  it("deletes each decompressed database from the work directory", async () => {
    // Act
    const { workDir } = await run(fixtures.goodZip);

    // Assess
    expect(await readdir(workDir)).toEqual([]);
  });

  it("never writes an entry with an absolute or climbing name outside the work directory", async () => {
    // Prepare
    const zip = await zipOf("hostile.zip", [
      { name: "../../escaped.sqlite3.bz2", data: fixtures.sparkBz2 },
      { name: "/tmp/absolute.sqlite3.bz2", data: fixtures.sparkBz2 },
      { name: "spark.sqlite3.bz2", data: fixtures.sparkBz2 },
      { name: "hadoop.sqlite3.bz2", data: fixtures.hadoopBz2 },
    ]);

    // Act
    const { report, dir } = await run(zip);

    // Assess
    expect(report.ignored_entries.map((entry) => entry.name)).toEqual([
      "../../escaped.sqlite3.bz2",
      "/tmp/absolute.sqlite3.bz2",
    ]);
    expect(await readdir(runRoot)).not.toContain("escaped.sqlite3.bz2");
    expect(await readdir(dir)).toEqual(["out", "work"]);
    expect(report.label_counts).toEqual({ HADOOP: 6, SPARK: 11 });
  });

  it("adds up a label split over two members", async () => {
    // Prepare
    const zip = await zipOf("split.zip", [
      { name: "a/hadoop.sqlite3.bz2", data: await bzip2Db(fixtures.dir, "h1", plainBugs("HADOOP", 3)) },
      { name: "b/hadoop.sqlite3.bz2", data: await bzip2Db(fixtures.dir, "h2", plainBugs("HADOOP", 3, 500)) },
      { name: "spark.sqlite3.bz2", data: fixtures.sparkBz2 },
    ]);

    // Act
    const { report } = await run(zip);

    // Assess
    expect(report.label_counts).toEqual({ HADOOP: 6, SPARK: 11 });
    expect(report.left_out_labels).toEqual([]);
  });

  it("reads a database stored in UTF-16 as it reads one in UTF-8", async () => {
    // Prepare
    const rows = [...AWKWARD_ROWS, ...plainBugs("SPARK", 8)];
    const zip = await zipOf("utf16.zip", [
      { name: "spark.sqlite3.bz2", data: await bzip2Db(fixtures.dir, "u16", rows, { encoding: "UTF-16le" }) },
      { name: "hadoop.sqlite3.bz2", data: fixtures.hadoopBz2 },
    ]);
    const utf8 = await run(fixtures.goodZip);

    // Act
    const utf16 = await run(zip);

    // Assess
    expect(await readFile(join(utf16.outDir, "0000-spark.csv"), "utf8")).toBe(
      await readFile(join(utf8.outDir, "0000-spark.csv"), "utf8"),
    );
  });
});

describe("runEtl rejects unusable input", () => {
  async function failure(inputPath: string, overrides: Partial<EtlRequest> = {}): Promise<InputError> {
    const error = await run(inputPath, overrides).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }

  it("says a file that is neither a zip nor a CSV is unusable", async () => {
    // Prepare
    const png = await writeFixture(
      fixtures.dir,
      "picture.png",
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1, 2, 0xff]),
    );

    // Act / Assess
    expect((await failure(png)).message).toBe(
      "picture.png is neither a zip archive nor a CSV text file (it holds binary data); export the tickets as CSV",
    );
  });

  it("says a text file that is not valid CSV cannot be parsed, naming the line", async () => {
    // Prepare
    const notes = await writeFixture(fixtures.dir, "notes.md", 'short_description\nok\n_"quoted"_ text\n');

    // Act / Assess
    expect((await failure(notes)).message).toBe(
      'the CSV cannot be parsed: line 3: a field that is not quoted holds a quote; quote the whole field and write the quote twice ("")',
    );
  });

  it("says a .zip that is not a zip archive is not one", async () => {
    // Prepare
    const fake = await writeFixture(fixtures.dir, "fake.zip", "just text");

    // Act / Assess
    expect((await failure(fake)).message).toBe("fake.zip is not a zip archive");
  });

  it("says a zip cut short cannot be read", async () => {
    // Prepare
    const bytes = await readFile(fixtures.goodZip);
    const cut = await writeFixture(fixtures.dir, "cut.zip", bytes.subarray(0, bytes.length - 200));

    // Act / Assess
    expect((await failure(cut)).message).toMatch(/^not a readable zip archive/);
  });

  it("names a corrupt member", async () => {
    // Prepare
    const zip = await zipOf("corrupt.zip", [
      { name: "hadoop.sqlite3.bz2", data: fixtures.hadoopBz2 },
      { name: "data/spark.sqlite3.bz2", data: corrupt(fixtures.sparkBz2, 2000) },
    ]);

    // Act / Assess
    expect((await failure(zip)).message).toMatch(
      /^zip member data\/spark\.sqlite3\.bz2 is corrupt or truncated: /,
    );
  });

  it("names a truncated member", async () => {
    // Prepare
    const zip = await zipOf("truncated.zip", [
      { name: "spark.sqlite3.bz2", data: fixtures.sparkBz2.subarray(0, fixtures.sparkBz2.length - 100) },
    ]);

    // Act / Assess
    expect((await failure(zip)).message).toMatch(
      /^zip member spark\.sqlite3\.bz2 is corrupt or truncated: .*truncated/,
    );
  });

  it("names a member that is bzip2 but not SQLite", async () => {
    // Prepare
    const notDb = await writeFixture(fixtures.dir, "notdb.txt", "x".repeat(5000));
    const { bzip2File } = await import("../../fixtures/etl/seoss-fixture");
    await bzip2File(notDb, `${notDb}.bz2`);
    const zip = await zipOf("notdb.zip", [
      { name: "notes.sqlite3.bz2", data: await readFile(`${notDb}.bz2`) },
    ]);

    // Act / Assess
    expect((await failure(zip)).message).toMatch(
      /^zip member notes\.sqlite3\.bz2 is not a readable SQLite database/,
    );
  });

  it("names a database without an issue table", async () => {
    // Prepare
    const zip = await zipOf("noissue.zip", [
      { name: "spark.sqlite3.bz2", data: fixtures.sparkBz2 },
      { name: "noissue.sqlite3.bz2", data: fixtures.noIssueTableBz2 },
    ]);

    // Act / Assess
    expect((await failure(zip)).message).toBe("zip member noissue.sqlite3.bz2 has no issue table");
  });

  it("names a missing column", async () => {
    // Prepare
    const zip = await zipOf("nodesc.zip", [
      { name: "nodesc.sqlite3.bz2", data: fixtures.noDescriptionColumnBz2 },
    ]);

    // Act / Assess
    expect((await failure(zip)).message).toBe(
      "zip member nodesc.sqlite3.bz2: issue table has no description column",
    );
  });

  it("says so when a zip holds no database at all", async () => {
    // Prepare
    const zip = await zipOf("empty.zip", [{ name: "MANIFEST.TXT", data: "nothing here" }]);

    // Act / Assess
    expect((await failure(zip)).message).toBe(
      "the zip holds no SQLite database members (*.sqlite3.bz2); found MANIFEST.TXT",
    );
  });

  it("says so when no label has enough documents", async () => {
    // Act / Assess
    const error = await failure(fixtures.goodZip, { settings: { ...SETTINGS, minDocsPerLabel: 100 } });
    expect(error.message).toBe(
      "no usable label: every label has fewer than 100 documents: HADOOP (6), SPARK (11), TINY (2)",
    );
  });

  it("says a single usable label cannot train a classifier", async () => {
    // Act / Assess
    const error = await failure(fixtures.goodZip, { settings: { ...SETTINGS, minDocsPerLabel: 10 } });
    expect(error.message).toBe(
      "only one usable label (SPARK); a classifier needs at least 2 labels with 10 or more documents; left out: HADOOP (6), TINY (2)",
    );
  });

  it("stops before Comprehend's label, document and size limits are exceeded", async () => {
    // Act / Assess
    expect((await failure(fixtures.goodZip, { limits: { maxLabels: 1 } })).message).toBe(
      "2 labels exceed Comprehend's limit of 1 labels per classifier",
    );
    expect((await failure(fixtures.goodZip, { limits: { maxDocuments: 16 } })).message).toBe(
      "17 documents exceed Comprehend's limit of 16 per classifier; upload fewer issues",
    );
    expect((await failure(fixtures.goodZip, { limits: { maxTrainingBytes: 1000 } })).message).toMatch(
      /^the training data is \d+ bytes, over Comprehend's limit of 1000 bytes/,
    );
  });
});

describe("runEtl with a CSV ticket export", () => {
  const header = "number,assignment_group,short_description,description,priority\r\n";
  function tickets(group: string, count: number, from = 0): string {
    return Array.from(
      { length: count },
      (_, i) =>
        `INC${from + i},${group},"Printer, floor ${i}","Says ""PC LOAD LETTER""\r\nagain\tand again",3\r\n`,
    ).join("");
  }

  it("joins the text columns under the label column and collapses whitespace", async () => {
    // Prepare
    const csv = await writeFixture(
      fixtures.dir,
      "tickets.csv",
      `\ufeff${header}${tickets("Service Desk", 5)}${tickets("Network", 6, 100)}INC9,,"no group",x,1\r\n`,
    );

    // Act
    const { report, outDir } = await run(csv);

    // Assess
    const rows = await records(join(outDir, "tickets.csv"));
    expect(rows).toHaveLength(11);
    expect(rows[0]).toEqual(["Service Desk", 'Printer, floor 0 Says "PC LOAD LETTER" again and again']);
    expect(report.label_counts).toEqual({ Network: 6, "Service Desk": 5 });
    expect(report.dropped.no_label).toBe(1);
    expect(report.settings).toMatchObject({
      label_column: "assignment_group",
      text_columns: ["short_description", "description"],
    });
  });

  it("uses the columns it is told to and filters out labels under the minimum", async () => {
    // Prepare
    const csv = await writeFixture(
      fixtures.dir,
      "jira.csv",
      `Component,Summary\n${'"Web, UI",Button broken\n'.repeat(6)}${"API,Timeout\n".repeat(2)}${"DB,Slow query\n".repeat(5)}`,
    );

    // Act
    const { report, outDir } = await run(csv, {
      settings: { ...SETTINGS, labelColumn: "Component", textColumns: ["Summary"] },
    });

    // Assess
    const rows = await records(join(outDir, "tickets.csv"));
    expect(rows.map((row) => row[0])).toEqual([...Array(6).fill("Web, UI"), ...Array(5).fill("DB")]);
    expect(report.left_out_labels.map((l) => l.label)).toEqual(["API"]);
    expect(report.output.files).toEqual([{ name: "tickets.csv", bytes: expect.any(Number), documents: 11 }]);
  });

  it("says where a malformed CSV cannot be parsed", async () => {
    // Prepare
    const csv = await writeFixture(
      fixtures.dir,
      "broken.csv",
      'assignment_group,short_description,description\nA,"unclosed,x\n',
    );

    // Act
    const error = await run(csv).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(
      'the CSV cannot be parsed: line 2: a quoted field is never closed (a " is missing, or the file was cut short)',
    );
  });

  it("says in plain words that a quoted field has text after its closing quote", async () => {
    const csv = await writeFixture(
      fixtures.dir,
      "after-quote.csv",
      'assignment_group,short_description,description\nA,"VPN" drops,x\n',
    );

    const error = await run(csv).catch((e: unknown) => e);

    expect((error as Error).message).toBe(
      'the CSV cannot be parsed: line 2: a quoted field has text after its closing quote; a quote inside a field must be written twice ("")',
    );
    expect((error as Error).message).not.toContain("trimable");
  });

  it("names a missing column and lists the ones there are", async () => {
    // Prepare
    const csv = await writeFixture(fixtures.dir, "nocol.csv", "Component,Summary\nA,b\n");

    // Act
    const error = await run(csv, {
      settings: { ...SETTINGS, labelColumn: "Component", textColumns: ["Body"] },
    }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toBe(
      'the CSV has no text column "Body"; its columns are: "Component", "Summary"',
    );
  });
});
