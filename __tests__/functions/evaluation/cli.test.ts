/**
 * `npm run evaluate` as a user runs it (the prebuilt bundle in a separate Node 22 process), and its page in a
 * real headless browser (Debian's chromium): no console errors, no network requests, the matrix drawn.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
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
      ...["--min-docs-per-label", "20"],
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
      } finally {
        await browser.close();
      }
    },
  );
});
