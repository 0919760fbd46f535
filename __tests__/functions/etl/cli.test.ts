import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildFixtureSet, corrupt, type FixtureSet, writeFixture } from "../../fixtures/etl/fixture-set";
import { writeZip } from "../../fixtures/etl/seoss-fixture";

const root = resolve(__dirname, "../../..");
const cli = join(root, "functions/etl/cli.ts");
const tsx = join(root, "node_modules/tsx/dist/cli.mjs");

let fixtures: FixtureSet;

beforeAll(async () => {
  fixtures = await buildFixtureSet();
});

afterAll(async () => {
  await rm(fixtures.dir, { recursive: true, force: true });
});

/** Runs the command as a user would: a separate Node 22 process through tsx, not a terminal. */
function etl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [tsx, cli, ...args], { cwd: root }, (error, stdout, stderr) => {
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
    expect(result.stdout).toContain(`17 documents in 2 labels -> ${out}`);
    expect(result.stdout).toContain("  SPARK: 11");
    expect(result.stdout).toContain("left out (fewer than 5 documents): TINY (2)");
    expect(result.stderr).toContain("[1/3] SEOSS/spark.sqlite3.bz2");
    expect(result.stderr).not.toContain("ExperimentalWarning");
    expect((await readdir(out)).sort()).toEqual(["0000-spark.csv", "0001-hadoop.csv", "report.json"]);
    const report = JSON.parse(await readFile(join(out, "report.json"), "utf8"));
    expect(report.label_counts).toEqual({ HADOOP: 6, SPARK: 11 });
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
    expect(result.stderr).toBe(
      'error: the CSV has no text column "body"; its columns are: "group", "title"\n',
    );
  });

  it("exits 2 with usage when arguments are missing or wrong", async () => {
    // Act
    const missing = await etl(["--out", join(tmpdir(), "unused")]);
    const wrong = await etl(["--input", fixtures.goodZip, "--out", fixtures.dir, "--max-doc-bytes", "0"]);

    // Assess
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: --input is required\nusage: npm run etl/);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/^error: --max-doc-bytes must be a positive integer, got "0"/);
  });
});
