/**
 * `npm run evaluate`: how well the labels of a dataset can be told apart, before paying for hours of Comprehend
 * training. Prepares the documents exactly as the ETL does (it runs the ETL on a zip or CSV, or reads the ETL's
 * output folder), trains a fast local baseline on a stratified split, and writes evaluation.json,
 * evaluation.html and confusion-matrix.svg.
 *
 * Exit codes: 0 done, 1 unusable input, 2 bad arguments, 3 unexpected failure.
 */
import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ETL_DEFAULTS, splitList } from "../../contract/environment";
import { InputError } from "../etl/errors";
import { silenceSqliteExperimentalWarning } from "../shared/sqlite-warning";
import { EvaluationInputError } from "./documents";
import { type Evaluation, evaluateDocuments } from "./evaluate";
import { prepareDocuments } from "./prepare";

export const EVALUATION_FILES = {
  json: "evaluation.json",
  html: "evaluation.html",
  svg: "confusion-matrix.svg",
} as const;

/** Enough for a stable estimate per label; more only costs time (about 1 minute for 100,000 on two cores). */
export const DEFAULT_MAX_DOCUMENTS = 100_000;

const USAGE = `usage: npm run evaluate -- --input <dataset.zip | tickets.csv | ETL output folder> [--out evaluation]
  [--label-column ${ETL_DEFAULTS.csvLabelColumn}] [--text-columns ${ETL_DEFAULTS.csvTextColumns.join(",")}]
  [--min-docs-per-label ${ETL_DEFAULTS.minDocsPerLabel}] [--max-documents ${DEFAULT_MAX_DOCUMENTS}] [--seed 42]

Trains a local baseline (TF-IDF of words and word pairs, linear SVM) on the documents Comprehend would train on,
tests it on a label-stratified split (5 folds where a label has fewer than 50 documents), and writes
evaluation.json, evaluation.html and confusion-matrix.svg to --out. Minutes on a laptop, against hours of paid
training. Larger datasets are evaluated on a seeded sample of --max-documents documents.
Exit codes: 0 done, 1 unusable input, 2 bad arguments, 3 unexpected failure.`;

class UsageError extends Error {
  override readonly name = "UsageError";
}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`--${name} must be a positive whole number, got "${value}"`);
  return n;
}

function parse(argv: string[]) {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        input: { type: "string" },
        out: { type: "string" },
        "label-column": { type: "string" },
        "text-columns": { type: "string" },
        "min-docs-per-label": { type: "string" },
        "max-documents": { type: "string" },
        seed: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return undefined;
  if (typeof values.input !== "string") throw new UsageError("--input is required");
  const text = (name: string) => (typeof values[name] === "string" ? (values[name] as string) : undefined);
  const textColumns = text("text-columns");
  return {
    input: resolve(values.input),
    out: resolve(text("out") ?? "evaluation"),
    labelColumn: text("label-column"),
    textColumns: textColumns === undefined ? undefined : splitList(textColumns),
    minDocsPerLabel: positiveInt(
      "min-docs-per-label",
      text("min-docs-per-label"),
      ETL_DEFAULTS.minDocsPerLabel,
    ),
    maxDocuments: positiveInt("max-documents", text("max-documents"), DEFAULT_MAX_DOCUMENTS),
    seed: positiveInt("seed", text("seed"), 42),
  };
}

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

export function summarize(
  evaluation: Evaluation,
  sampled: { documents: number; total: number },
  page: string,
): string {
  const m = evaluation.metrics;
  const weakest = [...m.labels].sort((a, b) => a.f1 - b.f1).slice(0, 3);
  return [
    `baseline on ${sampled.documents.toLocaleString("en-US")} documents${sampled.total > sampled.documents ? ` (a sample of ${sampled.total.toLocaleString("en-US")})` : ""}, ${evaluation.labels.length} labels, ${evaluation.split.method}: ${evaluation.split.why}`,
    `accuracy ${percent(m.accuracy)}, macro-F1 ${percent(m.macroF1)}, weighted F1 ${percent(m.weightedF1)}`,
    `weakest labels: ${weakest.map((l) => `${l.label} (F1 ${percent(l.f1)}, ${l.support} tested)`).join(", ")}`,
    ...(evaluation.mostConfused.length > 0
      ? [
          `most confused: ${evaluation.mostConfused
            .slice(0, 3)
            .map((p) => `${p.actual} -> ${p.predicted} (${p.count})`)
            .join(", ")}`,
        ]
      : []),
    `in ${(evaluation.timing_ms.total / 1000).toFixed(1)} s; page: ${page}`,
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (!args) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!(await stat(args.input).catch(() => undefined))) {
    process.stderr.write(`error: --input ${args.input} does not exist\n`);
    return 2;
  }
  const progress = (message: string) => process.stderr.write(`${message}\n`);
  const workDir = await mkdtemp(join(args.out === "/" ? "/tmp" : resolve(args.out, ".."), ".evaluate-work-"));
  try {
    const { documents, total } = await prepareDocuments(args, workDir, progress);
    const evaluation = evaluateDocuments(documents, { seed: args.seed, onProgress: progress });
    const report = {
      input: basename(args.input),
      sampled: { documents: documents.length, total },
      ...evaluation,
    };
    // Vega is an ES module with top-level await: loaded only where the page is drawn.
    const { renderReport } = await import("./report-page");
    const page = await renderReport(
      evaluation,
      `How well the labels of ${basename(args.input)} can be told apart`,
    );
    await mkdir(args.out, { recursive: true });
    await writeFile(join(args.out, EVALUATION_FILES.json), `${JSON.stringify(report, null, 2)}\n`);
    await writeFile(join(args.out, EVALUATION_FILES.html), page.html);
    await writeFile(join(args.out, EVALUATION_FILES.svg), page.svg);
    process.stdout.write(
      `${summarize(evaluation, { documents: documents.length, total }, join(args.out, EVALUATION_FILES.html))}\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    if (error instanceof InputError || error instanceof EvaluationInputError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`unexpected failure: ${(error as Error).stack ?? error}\n`);
    return 3;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** The process entry (`npm run evaluate` starts it from prebuilt JavaScript through scripts/run-cli.cjs). */
export async function runCli(argv: string[]): Promise<number> {
  silenceSqliteExperimentalWarning();
  return main(argv);
}

if (typeof module !== "undefined" && require.main === module) {
  runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
