import { existsSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compareModels, comparisonPage, modelScores } from "../../../functions/batch/scoring-report";

const CHROMIUM = "/usr/bin/chromium";
const browserTest = existsSync(CHROMIUM) || process.env.CI ? it : it.skip;
const ARN = (version: string) =>
  `arn:aws:comprehend:us-east-1:111122223333:document-classifier/itsr--tickets-0a1b2c3d4e5f/version/${version}`;

/** Answers on the same documents: the new version fixes Access <b>, which the served one sent to Desk. */
function versions() {
  const truth = ["Network", "Network", "Desk", "Desk", "Access <b>", "Access <b>"];
  const next = modelScores(
    ARN("new"),
    truth.map((actual) => ({ actual, predicted: actual, score: 0.9 })),
    0,
    0.9,
  );
  const served = modelScores(
    ARN("old"),
    truth.map((actual) => ({ actual, predicted: actual.startsWith("Access") ? "Desk" : actual, score: 0.9 })),
    0,
    0.9,
  );
  return compareModels(next, served);
}

describe("the comparison page", () => {
  browserTest(
    "shows both versions and each label's change in a real browser, with no script and no request",
    async () => {
      // Prepare
      const dir = await mkdtemp(join(tmpdir(), "comparison-page-"));
      const path = join(dir, "comparison.html");
      await writeFile(path, comparisonPage("retrain-20261204-220000-0123456789ab", versions()));
      const { chromium } = await import("playwright-core");
      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ["--no-sandbox", "--disable-gpu"],
      });
      try {
        const page = await browser.newPage();
        const problems: string[] = [];
        const requests: string[] = [];
        page.on("console", (message) => problems.push(message.text()));
        page.on("pageerror", (error) => problems.push(error.message));
        page.on("request", (request) => requests.push(request.url()));

        // Act
        await page.goto(`file://${path}`);

        // Assess
        expect(problems).toEqual([]);
        expect(requests).toEqual([`file://${path}`]);
        expect(await page.locator("#summary tbody tr").allTextContents()).toEqual([
          expect.stringMatching(/^served/),
          expect.stringMatching(/^new100\.0%100\.0%/),
        ]);
        expect(await page.textContent("#promote")).toBe(
          `npm run deploy -- inference --classifier-arn ${ARN("new")}`,
        );
        const improved = page.locator("#labels tr.improved th");
        expect(await improved.allTextContents()).toEqual(["Access <b>", "Desk"]);
        expect(await page.textContent("#verdict")).toMatch(/^The new version is better/);
      } finally {
        await browser.close();
      }
    },
  );
});
