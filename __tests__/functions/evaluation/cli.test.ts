/**
 * `npm run evaluate` as a user runs it (the prebuilt bundle in a separate Node 22 process), and its page in a
 * real headless browser (Debian's chromium): no console errors, no network requests, the matrix drawn.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(__dirname, "../../..");
const launcher = join(root, "scripts/run-cli.cjs");
const CHROMIUM = "/usr/bin/chromium";

jest.setTimeout(120_000);

function run(tool: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [launcher, tool, ...args], { cwd: root }, (error, stdout, stderr) => {
      done({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

let dir: string;
let csv: string;
const TEAMS = ["Network Team", "Database Team", "Service Desk", "Identity"];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "evaluate-cli-"));
  const rows = ["group,title"];
  const words: Record<string, string[]> = {
    "Network Team": ["vpn", "wifi", "switch", "latency", "router"],
    "Database Team": ["query", "index", "oracle", "backup", "table"],
    "Service Desk": ["laptop", "monitor", "keyboard", "printer", "headset"],
    Identity: ["password", "account", "locked", "mfa", "login"],
  };
  TEAMS.forEach((team, t) => {
    const own = words[team] as string[];
    for (let i = 0; i < (t === 3 ? 30 : 70); i++) {
      // Mostly the team's own words, with a few borrowed from the next team so the matrix is not diagonal.
      const borrowed = (words[TEAMS[(t + 1) % 4] as string] as string[])[i % 5];
      rows.push(
        `${team},"${own[i % 5]} ${own[(i + 2) % 5]} issue ${i % 3 === 0 ? borrowed : own[(i + 1) % 5]} please help"`,
      );
    }
  });
  csv = join(dir, "tickets.csv");
  await writeFile(csv, `${rows.join("\n")}\n`);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("npm run evaluate", () => {
  let out: string;
  let report: Record<string, unknown> & {
    metrics: { accuracy: number; macroF1: number; confusionMatrix: number[][] };
  };

  beforeAll(async () => {
    out = join(dir, "evaluation");
    const result = await run("evaluate", [
      ...["--input", csv, "--out", out, "--label-column", "group", "--text-columns", "title"],
      ...["--min-docs-per-label", "20"],
    ]);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    expect(result.stdout).toContain("240 documents, 4 labels, k-fold");
    expect(result.stdout).toContain(`page: ${join(out, "evaluation.html")}`);
    report = JSON.parse(await readFile(join(out, "evaluation.json"), "utf8"));
  });

  it("writes the metrics, the matrix, the split and the model to evaluation.json", () => {
    expect(report).toMatchObject({
      documents: 240,
      labels: ["Database Team", "Network Team", "Service Desk", "Identity"],
      split: { method: "k-fold", folds: 5, seed: 42 },
      sampled: { documents: 240, total: 240 },
    });
    expect(report.metrics.accuracy).toBeGreaterThan(0.6);
    expect(report.metrics.confusionMatrix.flat().reduce((a, b) => a + b, 0)).toBe(240);
  });

  it("gives the same result for the ETL's output folder as for the export it came from", async () => {
    const prepped = join(dir, "prepped");
    const etl = await run("etl", [
      ...["--input", csv, "--out", prepped, "--label-column", "group", "--text-columns", "title"],
      // Without a held-out test set the folder holds every document, as the export does.
      ...["--min-docs-per-label", "20", "--test-share", "0"],
    ]);
    expect(etl.code).toBe(0);

    const again = await run("evaluate", ["--input", prepped, "--out", join(dir, "again")]);

    expect(again.code).toBe(0);
    const second = JSON.parse(await readFile(join(dir, "again", "evaluation.json"), "utf8"));
    expect(second.metrics).toEqual(report.metrics);
  });

  it("exits 2 for a missing input and 1 for an unusable one, with the reason", async () => {
    const missing = await run("evaluate", ["--input", join(dir, "nope.csv"), "--out", join(dir, "x")]);
    await writeFile(join(dir, "one-label.csv"), "group,title\nA,x y\nA,y z\n");
    const oneLabel = await run("evaluate", [
      "--input",
      join(dir, "one-label.csv"),
      "--label-column",
      "group",
      "--text-columns",
      "title",
      "--out",
      join(dir, "y"),
    ]);

    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining("does not exist") });
    expect(oneLabel.code).toBe(1);
    expect(oneLabel.stderr).toMatch(/^error: .*label/m);
  });

  it("says which labels the ETL left out and why, in the terminal, the JSON and the page, as npm run etl does", async () => {
    // Prepare: Identity has 30 documents, under the default minimum of 50.
    const target = join(dir, "left-out");

    // Act
    const result = await run("evaluate", [
      ...["--input", csv, "--out", target, "--label-column", "group", "--text-columns", "title"],
    ]);

    // Assess
    const etl = await run("etl", [
      ...[
        "--input",
        csv,
        "--out",
        join(dir, "left-out-etl"),
        "--label-column",
        "group",
        "--text-columns",
        "title",
      ],
    ]);
    const line = "left out (fewer than 50 documents): Identity (30)";
    expect(etl.stdout).toContain(line);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(line);
    const json = JSON.parse(await readFile(join(target, "evaluation.json"), "utf8"));
    expect(json.prepared).toEqual({
      min_docs_per_label: 50,
      left_out_labels: [{ label: "Identity", documents: 30 }],
      warnings: [],
    });
    expect(await readFile(join(target, "evaluation.html"), "utf8")).toContain(line);
  });

  it("takes the ETL's --delimiter and --merge-label-variants, and warns about label variants as it does", async () => {
    // Prepare: a semicolon export whose team is spelled two ways.
    const rows = ["team;text"];
    for (let i = 0; i < 110; i++)
      rows.push(`${i % 2 ? "Network" : "NETWORK"};vpn ${i} drops`, `Storage;disk ${i} full`);
    const variants = join(dir, "variants.csv");
    await writeFile(variants, `${rows.join("\n")}\n`);
    const args = [
      "--input",
      variants,
      "--label-column",
      "team",
      "--text-columns",
      "text",
      "--delimiter",
      ";",
    ];

    // Act
    const separate = await run("evaluate", [...args, "--out", join(dir, "variants-separate")]);
    const merged = await run("evaluate", [
      ...args,
      "--merge-label-variants",
      "--out",
      join(dir, "variants-merged"),
    ]);

    // Assess
    expect(separate.code).toBe(0);
    expect(separate.stdout).toContain(
      "warning: labels that differ only in case or spacing are separate classes",
    );
    expect(separate.stdout).toContain("3 labels");
    expect(merged.code).toBe(0);
    expect(merged.stdout).toContain("2 labels");
    expect(merged.stdout).toContain('were merged into "NETWORK"');
  });

  it("says every label was told apart instead of listing 'weakest' labels at 100%", async () => {
    const rows = ["team,text"];
    for (let i = 0; i < 60; i++)
      rows.push(`Network,vpn router switch ${i}`, `Storage,disk volume backup ${i}`);
    const easy = join(dir, "easy.csv");
    await writeFile(easy, `${rows.join("\n")}\n`);

    const result = await run("evaluate", [
      ...["--input", easy, "--label-column", "team", "--text-columns", "text", "--out", join(dir, "easy")],
    ]);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain("every label was told apart on every test document (F1 100%)");
    expect(result.stdout).not.toContain("weakest labels");
  });

  it("answers a wrong --out or --input with a message, not a stack trace, and leaves nothing behind", async () => {
    // Prepare
    const file = join(dir, "a-file.txt");
    await writeFile(file, "not a folder");
    const rawFolder = join(dir, "raw-export");
    await mkdir(rawFolder);
    await writeFile(join(rawFolder, "export.csv"), 'number,short_description\nINC1,"unclosed\n');
    const used = join(dir, "evaluation"); // written by the first test of this file
    const failedOut = join(dir, "never-written");

    // Act
    const toFile = await run("evaluate", ["--input", csv, "--out", file]);
    const etlToFile = await run("etl", ["--input", csv, "--out", file]);
    const notEtlOutput = await run("evaluate", ["--input", rawFolder, "--out", join(dir, "raw-out")]);
    const again = await run("evaluate", [
      "--input",
      csv,
      "--out",
      used,
      "--label-column",
      "group",
      "--text-columns",
      "title",
    ]);
    const failing = await run("etl", [
      "--input",
      join(dir, "one-label.csv"),
      "--out",
      failedOut,
      "--label-column",
      "group",
      "--text-columns",
      "title",
    ]);

    // Assess
    for (const result of [toFile, etlToFile, notEtlOutput, again, failing]) {
      expect(result.stderr).not.toMatch(/^\s+at /m);
      expect(result.stderr).not.toContain("unexpected failure");
    }
    expect(toFile).toMatchObject({
      code: 2,
      stderr: `error: --out ${file} is a file; name a folder (it is created when missing)\n`,
    });
    expect(etlToFile.code).toBe(2);
    expect(etlToFile.stderr).toContain("is a file; name a folder");
    expect(notEtlOutput.code).toBe(1);
    expect(notEtlOutput.stderr).toContain(
      'is not a "label,text" record as the ETL writes them: give a ticket export as --input (the .csv file itself), or a folder that npm run etl wrote',
    );
    expect(existsSync(join(dir, "raw-out"))).toBe(false);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already holds confusion-matrix.svg, evaluation.html, evaluation.json");
    expect(failing.code).toBe(1);
    expect(existsSync(failedOut)).toBe(false);
  });

  const browserTest = existsSync(CHROMIUM) || process.env.CI ? it : it.skip;
  if (!existsSync(CHROMIUM) && !process.env.CI) {
    console.warn(
      `${CHROMIUM} is not installed: the page's browser test is skipped (apt-get install chromium; CI installs it)`,
    );
  }

  browserTest(
    "renders the page in a real browser with no console errors and no network requests, matrix and labels present",
    async () => {
      const { chromium } = await import("playwright-core");
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
        const problems: string[] = [];
        const requests: string[] = [];
        page.on("console", (message) => {
          if (message.type() === "error" || message.type() === "warning") problems.push(message.text());
        });
        page.on("pageerror", (error) => problems.push(error.message));
        page.on("request", (request) => requests.push(request.url()));

        await page.goto(`file://${join(out, "evaluation.html")}`);
        await page.screenshot({ path: join(dir, "evaluation.png"), fullPage: true });

        expect(problems).toEqual([]);
        expect(requests).toEqual([`file://${join(out, "evaluation.html")}`]);
        expect(await page.textContent("#macro-f1")).toBe(`${(report.metrics.macroF1 * 100).toFixed(1)}%`);
        const matrixText = await page.locator("#matrix-counts svg text").allTextContents();
        for (const team of TEAMS) expect(matrixText).toContain(team);
        // Every cell of both heat maps is drawn, counts and shares.
        const cells = await page.locator(".matrix svg path[aria-roledescription='rect mark']").count();
        expect(cells).toBe(2 * TEAMS.length * TEAMS.length);
        expect(await page.locator("#per-label tbody tr").count()).toBe(TEAMS.length);
        // What a target precision costs: one precision-coverage line per label, the target's rule, the table.
        expect(
          await page.locator("#precision-coverage svg path[aria-roledescription='line mark']").count(),
        ).toBe(TEAMS.length);
        expect(await page.locator("#precision-coverage svg [aria-roledescription='rule mark']").count()).toBe(
          1,
        );
        expect(await page.locator("#routing tbody tr").count()).toBe(TEAMS.length);
        expect(await page.textContent("#routing thead")).toContain("routed at 90.0% precision");
        // Words a service-desk lead can act on: a verdict with its reason, and what each figure means.
        expect(await page.textContent("#verdict")).toMatch(
          /^(Good enough to train|Train, but|Fix these labels)/,
        );
        const glossary = await page.textContent("#glossary");
        for (const word of ["macro-F1", "weighted F1", "support"]) expect(glossary).toContain(word);
        // The matrix says which axis is which right above it, not below a wall of rotated labels.
        expect(matrixText.join(" ")).toContain(
          "rows: the actual label; columns: the label the model predicted",
        );
        const subtitle = page.locator("#matrix-counts svg text", { hasText: "rows: the actual label" });
        const grid = page.locator("#matrix-counts svg path[aria-roledescription='rect mark']").first();
        const [titleBox, cellBox] = [await subtitle.boundingBox(), await grid.boundingBox()];
        expect((cellBox?.y ?? 0) - (titleBox?.y ?? 0)).toBeLessThan(300);
      } finally {
        await browser.close();
      }
    },
  );
});
