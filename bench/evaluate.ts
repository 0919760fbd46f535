/**
 * `npm run evaluate`'s baseline against its accuracy anchor: scikit-learn's TF-IDF + LinearSVC on the same
 * documents and the same train/test parts, scores and times side by side. scikit-learn comes from Debian's
 * python3-sklearn; without it the comparison is skipped with a message.
 *
 *   npm run bench:evaluate -- --input <ETL output folder | tickets.csv> [--label-column label --text-columns text]
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { readCsvOptions } from "../functions/etl/csv-options";
import { evaluateDocuments, planSplit } from "../functions/evaluation/evaluate";
import { prepareDocuments } from "../functions/evaluation/prepare";
import { benchArgs, wholeNumber } from "./args";

const USAGE = `Usage: npm run bench:evaluate -- --input <ETL output folder | zip | csv> [--label-column <c>] [--text-columns <a,b>] [--max-documents 100000]

Runs our evaluation and scikit-learn's TfidfVectorizer(sublinear_tf=True, ngram_range=(1,2), min_df=2) +
LinearSVC on the same documents and split, and prints both scores and times. Needs /usr/bin/python3 with
scikit-learn (Debian: apt-get install python3-sklearn) for the comparison.`;
const values = benchArgs(USAGE, {
  input: { type: "string" },
  "label-column": { type: "string" },
  "text-columns": { type: "string" },
  "max-documents": { type: "string", default: "100000" },
});
if (!values.input) {
  console.error(`--input is required\n\n${USAGE}`);
  process.exit(2);
}
const maxDocuments = wholeNumber("max-documents", values["max-documents"], 2, USAGE);
const PYTHON = "/usr/bin/python3";
const CHROMIUM = "/usr/bin/chromium";

/**
 * The page of this run, as `npm run evaluate` writes it, and a screenshot of it in a headless Chromium, both
 * in bench/out/ (not committed), for a person to look at.
 */
async function keepPage(input: string): Promise<void> {
  const out = join(__dirname, "out", `evaluation-${basename(input).replace(/[^\w.-]+/g, "-")}`);
  const args = [
    "run",
    "--silent",
    "evaluate",
    "--",
    "--input",
    input,
    "--out",
    out,
    "--max-documents",
    String(maxDocuments),
  ];
  if (values["label-column"]) args.push("--label-column", values["label-column"] as string);
  if (values["text-columns"]) args.push("--text-columns", values["text-columns"] as string);
  const run = spawnSync("npm", args, { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`npm run evaluate failed: ${run.stderr}`);
  if (!existsSync(CHROMIUM)) {
    console.log(`page: ${join(out, "evaluation.html")} (no ${CHROMIUM}, so no screenshot)`);
    return;
  }
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(pathToFileURL(join(out, "evaluation.html")).href);
    await page.screenshot({ path: join(out, "evaluation.png"), fullPage: true });
  } finally {
    await browser.close();
  }
  console.log(`page: ${join(out, "evaluation.html")}, screenshot: ${join(out, "evaluation.png")}`);
}

async function main(): Promise<void> {
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? "unknown CPU"}, node ${process.version}`);
  const work = mkdtempSync(join(tmpdir(), "bench-evaluate-"));
  try {
    const { documents, total } = await prepareDocuments(
      {
        input: resolve(values.input as string),
        csv: readCsvOptions({
          "label-column": values["label-column"],
          "text-columns": values["text-columns"],
        }),
        maxDocuments,
        seed: 42,
      },
      work,
    );
    const ours = evaluateDocuments(documents);
    console.log(
      `documents: ${documents.length} of ${total}, ${ours.labels.length} labels; split: ${ours.split.method} (${ours.split.why})`,
    );
    const line = (
      name: string,
      r: { accuracy: number; macro_f1: number; weighted_f1: number; seconds: number },
    ) =>
      console.log(
        `${name.padEnd(44)} accuracy ${r.accuracy.toFixed(4)}  macro-F1 ${r.macro_f1.toFixed(4)}  weighted-F1 ${r.weighted_f1.toFixed(4)}  ${r.seconds.toFixed(2)} s`,
      );
    const mine = {
      accuracy: ours.metrics.accuracy,
      macro_f1: ours.metrics.macroF1,
      weighted_f1: ours.metrics.weightedF1,
      seconds: ours.timing_ms.total / 1000,
    };
    line("ours (hashed TF-IDF + linear SVM, TypeScript)", mine);
    await keepPage(resolve(values.input as string));

    const check = spawnSync(PYTHON, ["-c", "import sklearn; print(sklearn.__version__)"], {
      encoding: "utf8",
    });
    if (check.status !== 0) {
      console.log(
        `scikit-learn is not installed for ${PYTHON}: comparison skipped (apt-get install python3-sklearn)`,
      );
      return;
    }
    const plan = planSplit(documents);
    const planPath = join(work, "plan.json");
    writeFileSync(
      planPath,
      JSON.stringify({ texts: documents.map((d) => d.text), labels: plan.labels, parts: plan.parts }),
    );
    const sklearn = spawnSync(PYTHON, [join(__dirname, "evaluate_sklearn.py"), planPath], {
      encoding: "utf8",
      maxBuffer: 1 << 26,
    });
    if (sklearn.status !== 0) throw new Error(`scikit-learn run failed: ${sklearn.stderr}`);
    const theirs = JSON.parse(sklearn.stdout.trim().split("\n").pop() as string);
    line(`scikit-learn ${check.stdout.trim()} (TfidfVectorizer + LinearSVC)`, theirs);
    console.log(
      `macro-F1 difference (ours - scikit-learn): ${(mine.macro_f1 - theirs.macro_f1).toFixed(4)} (goal: within 0.02)`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
