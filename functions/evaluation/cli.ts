/**
 * `npm run evaluate`: how well the labels of a dataset can be told apart, before paying for hours of Comprehend
 * training. Prepares the documents exactly as the ETL does (it runs the ETL on a zip or CSV, or reads the ETL's
 * output folder), trains a fast local baseline on a stratified split, and writes evaluation.json,
 * evaluation.html and confusion-matrix.svg.
 *
 * Exit codes: 0 done, 1 unusable input, 2 bad arguments, 3 unexpected failure.
 */
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import {
  CommandFailure,
  type CommandSpec,
  type ParsedArgs,
  runCommand,
  STDIO,
  UsageError,
} from "../../scripts/lib/command";
import { CSV_OPTIONS, CSV_OPTIONS_USAGE, type CsvSettings, readCsvOptions } from "../etl/csv-options";
import { InputError } from "../etl/errors";
import { leftOutLine } from "../etl/etl";
import { claimOutDir, OutDirError, releaseOutDir } from "../shared/out-dir";
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
${CSV_OPTIONS_USAGE}
  [--max-documents ${DEFAULT_MAX_DOCUMENTS}] [--seed 42]

Trains a local baseline (TF-IDF of words and word pairs, linear SVM) on the documents Comprehend would train on,
tests it on a label-stratified split (5 folds where a label has fewer than 50 documents), and writes
evaluation.json, evaluation.html and confusion-matrix.svg to --out. Minutes on a laptop, against hours of paid
training. Larger datasets are evaluated on a seeded sample of --max-documents documents. The column options are
the ETL's (npm run etl -- --help): what it leaves out or warns about is said here too.
Exit codes: 0 done, 1 unusable input, 2 bad arguments, 3 unexpected failure.`;

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`--${name} must be a positive whole number, got "${value}"`);
  return n;
}

const OPTIONS = {
  input: { type: "string" },
  out: { type: "string" },
  ...CSV_OPTIONS,
  "max-documents": { type: "string" },
  seed: { type: "string" },
} as const;

function readArgs(values: ParsedArgs<typeof OPTIONS>["values"]) {
  if (typeof values.input !== "string") throw new UsageError("--input is required");
  let csv: CsvSettings;
  try {
    csv = readCsvOptions(values);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return {
    input: resolve(values.input),
    out: resolve(values.out ?? "evaluation"),
    csv,
    maxDocuments: positiveInt("max-documents", values["max-documents"], DEFAULT_MAX_DOCUMENTS),
    seed: positiveInt("seed", values.seed, 42),
  };
}

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

export function summarize(
  evaluation: Evaluation,
  sampled: { documents: number; total: number },
  page: string,
  prepared: PreparedFacts = { leftOut: [], minDocsPerLabel: 0, warnings: [] },
): string {
  const m = evaluation.metrics;
  const weakest = [...m.labels]
    .filter((l) => l.f1 < 1)
    .sort((a, b) => a.f1 - b.f1)
    .slice(0, 3);
  return [
    ...preparedLines(prepared),
    `baseline on ${sampled.documents.toLocaleString("en-US")} documents${sampled.total > sampled.documents ? ` (a sample of ${sampled.total.toLocaleString("en-US")})` : ""}, ${evaluation.labels.length} labels, ${evaluation.split.method}: ${evaluation.split.why}`,
    `accuracy ${percent(m.accuracy)}, macro-F1 ${percent(m.macroF1)}, weighted F1 ${percent(m.weightedF1)}`,
    weakest.length === 0
      ? "every label was told apart on every test document (F1 100%)"
      : `weakest labels: ${weakest.map((l) => `${l.label} (F1 ${percent(l.f1)}, ${l.support} tested)`).join(", ")}`,
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

export const EVALUATE_COMMAND: CommandSpec<typeof OPTIONS> = {
  usage: USAGE,
  options: OPTIONS,
  unexpectedExitCode: 3,
  run: async ({ values }, io) => {
    const args = readArgs(values);
    if (!(await stat(args.input).catch(() => undefined))) {
      throw new CommandFailure(`--input ${args.input} does not exist`, 2);
    }
    let claim: { created: boolean };
    try {
      claim = await claimOutDir(args.out, (name) =>
        (Object.values(EVALUATION_FILES) as string[]).includes(name),
      );
    } catch (error) {
      if (error instanceof OutDirError) throw new CommandFailure(error.message, 2, { cause: error });
      throw error;
    }
    const progress = (message: string) => io.err(message);
    const workDir = await mkdtemp(join(tmpdir(), "evaluate-work-"));
    let written = false;
    try {
      const { documents, total, leftOut, warnings, minDocsPerLabel } = await prepareDocuments(
        { input: args.input, csv: args.csv, maxDocuments: args.maxDocuments, seed: args.seed },
        workDir,
        progress,
      );
      const evaluation = evaluateDocuments(documents, { seed: args.seed, onProgress: progress });
      const report = {
        input: basename(args.input),
        sampled: { documents: documents.length, total },
        // What the ETL left out or warned about, as it says it: a label missing here is missing on purpose.
        prepared: { min_docs_per_label: minDocsPerLabel, left_out_labels: leftOut, warnings },
        ...evaluation,
      };
      // Vega is an ES module with top-level await: loaded only where the page is drawn.
      const { renderReport } = await import("./report-page");
      const page = await renderReport(
        evaluation,
        `How well the labels of ${basename(args.input)} can be told apart`,
        preparedLines({ leftOut, minDocsPerLabel, warnings }).join(". ") || undefined,
      );
      await writeFile(join(args.out, EVALUATION_FILES.json), `${JSON.stringify(report, null, 2)}\n`);
      await writeFile(join(args.out, EVALUATION_FILES.html), page.html);
      await writeFile(join(args.out, EVALUATION_FILES.svg), page.svg);
      written = true;
      io.out(
        summarize(evaluation, { documents: documents.length, total }, join(args.out, EVALUATION_FILES.html), {
          leftOut,
          minDocsPerLabel,
          warnings,
        }),
      );
    } catch (error) {
      if (error instanceof InputError || error instanceof EvaluationInputError) {
        throw new CommandFailure(error.message, 1, { cause: error });
      }
      throw error;
    } finally {
      await rm(workDir, { recursive: true, force: true });
      if (!written) await releaseOutDir(args.out, claim);
    }
  },
};

export interface PreparedFacts {
  readonly leftOut: readonly { readonly label: string; readonly documents: number }[];
  readonly minDocsPerLabel: number;
  readonly warnings: readonly string[];
}

/** What the ETL left out and warned about, in the words `npm run etl` uses. */
export function preparedLines(prepared: PreparedFacts): string[] {
  const leftOut = leftOutLine(prepared.leftOut, prepared.minDocsPerLabel);
  return [...(leftOut ? [leftOut] : []), ...prepared.warnings.map((warning) => `warning: ${warning}`)];
}

/** The process entry (`npm run evaluate` starts it from prebuilt JavaScript through scripts/run-cli.cjs). */
export function runCli(argv: string[]): Promise<number> {
  silenceSqliteExperimentalWarning();
  return runCommand(EVALUATE_COMMAND, argv, STDIO);
}

if (typeof module !== "undefined" && require.main === module) {
  runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
