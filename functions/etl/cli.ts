/**
 * The local command: check a dataset and produce the training files before paying for hours of training.
 *
 *   npm run etl -- --input <zip|csv> --out <dir> [--label-column c --text-columns a,b]
 *                  [--min-docs-per-label n] [--max-doc-bytes n] [--workers n]
 *
 * Exit codes: 0 done, 1 unusable input (the message names the member or column), 2 bad arguments,
 * 3 unexpected failure.
 */
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ETL_DEFAULTS } from "../../contract/environment";
import {
  CommandFailure,
  type CommandSpec,
  type ParsedArgs,
  runCommand,
  STDIO,
  UsageError,
} from "../../scripts/lib/command";
import { labelsByDocumentCount } from "../shared/labels";
import { claimOutDir, OutDirError, releaseOutDir } from "../shared/out-dir";
import { silenceSqliteExperimentalWarning } from "../shared/sqlite-warning";
import { CSV_OPTIONS, CSV_OPTIONS_USAGE, type CsvSettings, readCsvOptions } from "./csv-options";
import { InputError } from "./errors";
import { type EtlProgress, type EtlReport, leftOutLine, runEtl } from "./etl";
import { TEST_SET_DIR } from "./test-set";
import { describeDelimiter } from "./ticket-csv";

export const DEFAULTS = {
  labelColumn: ETL_DEFAULTS.csvLabelColumn,
  textColumns: ETL_DEFAULTS.csvTextColumns.join(","),
  minDocsPerLabel: ETL_DEFAULTS.minDocsPerLabel,
  maxDocBytes: ETL_DEFAULTS.maxDocBytes,
} as const;

const USAGE = `usage: npm run etl -- --input <dataset.zip|tickets.csv> --out <dir>
${CSV_OPTIONS_USAGE}
  [--max-doc-bytes ${DEFAULTS.maxDocBytes}] [--test-share ${ETL_DEFAULTS.testShare}] [--workers <cores>]

Prepares Comprehend training data from the SEOSS zip or a ticket-system CSV export, as the pipeline's ETL
function does, and prints what it kept, dropped and left out. A CSV's delimiter is detected from its header
row unless --delimiter names it; --merge-label-variants counts labels that differ only in case or spacing
(e.g. "Network Team" and "network team") as one. --test-share holds that share of each label out as the
fixed test set (<out>/test/test.csv, as the pipeline does; 0: none).
Exit codes: 0 done, 1 unusable input, 2 bad arguments, 3 unexpected failure.`;

function share(value: string | undefined): number {
  if (value === undefined) return ETL_DEFAULTS.testShare;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0 || n > 0.5) {
    throw new UsageError(`--test-share must be a number from 0 to 0.5, got "${value}"`);
  }
  return n;
}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

const OPTIONS = {
  input: { type: "string" },
  out: { type: "string" },
  ...CSV_OPTIONS,
  "max-doc-bytes": { type: "string" },
  "test-share": { type: "string" },
  workers: { type: "string" },
} as const;

function readArgs(values: ParsedArgs<typeof OPTIONS>["values"]) {
  if (!values.input) throw new UsageError("--input is required");
  if (!values.out) throw new UsageError("--out is required");
  let csv: CsvSettings;
  try {
    csv = readCsvOptions(values);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return {
    input: resolve(values.input),
    out: resolve(values.out),
    settings: {
      ...csv,
      maxDocBytes: positiveInt("max-doc-bytes", values["max-doc-bytes"], DEFAULTS.maxDocBytes),
      testShare: share(values["test-share"]),
      ...(values.workers ? { workers: positiveInt("workers", values.workers, 1) } : {}),
    },
  };
}

const MB = 1024 * 1024;

/** One rewritten status line on a terminal; one line per member otherwise (logs stay readable). */
function progressPrinter(stream: NodeJS.WriteStream): { update: (p: EtlProgress) => void; done: () => void } {
  let lastLine = "";
  let lastMember = -1;
  let lastDraw = 0;
  const tty = stream.isTTY === true;
  return {
    update(p) {
      if (!tty) {
        if (p.phase === "decompress" && p.index !== lastMember) {
          lastMember = p.index;
          stream.write(`[${p.index + 1}/${p.total}] ${p.member}\n`);
        }
        return;
      }
      const now = Date.now();
      if (now - lastDraw < 100) return;
      lastDraw = now;
      let line: string;
      if (p.phase === "decompress") {
        const pct =
          p.memberCompressedBytes > 0 ? Math.floor((100 * p.compressedBytes) / p.memberCompressedBytes) : 0;
        line = `[${p.index + 1}/${p.total}] ${p.member}: decompressing ${pct}% (${(p.decompressedBytes / MB).toFixed(0)} MB)`;
      } else if (p.phase === "export") {
        line = `[${p.index + 1}/${p.total}] ${p.member}: ${p.rows} bug reports read`;
      } else {
        line = `reading CSV: ${p.rows} rows (${(p.bytesRead / MB).toFixed(1)} MB)`;
      }
      const width = stream.columns ?? 100;
      line = line.slice(0, width - 1);
      stream.write(`\r${line.padEnd(lastLine.length)}`);
      lastLine = line;
    },
    done() {
      if (tty && lastLine) stream.write(`\r${" ".repeat(lastLine.length)}\r`);
    },
  };
}

export function summarize(report: EtlReport, outDir: string): string {
  const lines = [
    `${plural(report.document_count, "document")} in ${plural(report.label_count, "label")} -> ${outDir}`,
    ...labelsByDocumentCount(report.label_counts).map(([label, n]) => `  ${label}: ${n}`),
  ];
  const leftOut = leftOutLine(report.left_out_labels, report.settings.min_docs_per_label);
  if (leftOut) lines.push(leftOut);
  if (report.test_set) {
    lines.push(
      `test set: ${plural(report.test_set.documents, "document")} (${Math.round(report.test_set.share * 100)}% of each label, held out of training) -> ${join(outDir, report.test_set.file)}`,
    );
  }
  if (report.csv) {
    const how = report.csv.delimiter_detected ? "detected" : "as given";
    lines.push(`CSV delimiter: ${describeDelimiter(report.csv.delimiter)} (${how})`);
  }
  const dropped: string[] = [];
  if (report.dropped.empty > 0) dropped.push(`${plural(report.dropped.empty, "empty document")}`);
  if (report.dropped.no_label > 0) dropped.push(`${plural(report.dropped.no_label, "row")} without a label`);
  if (report.dropped.null_text > 0) {
    dropped.push(`${plural(report.dropped.null_text, "bug report")} without a summary or description`);
  }
  if (dropped.length > 0) lines.push(`dropped: ${dropped.join(", ")}`);
  if (report.cut.documents > 0) {
    lines.push(`cut to ${report.cut.max_doc_bytes} bytes: ${plural(report.cut.documents, "document")}`);
  }
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  if (report.ignored_entries.length > 0) {
    lines.push(`ignored: ${report.ignored_entries.map((e) => `${e.name} (${e.reason})`).join("; ")}`);
  }
  lines.push(
    `${plural(report.output.files.length, "file")}, ${(report.output.bytes / MB).toFixed(1)} MB, in ${(report.timing_ms.total / 1000).toFixed(1)} s; report: ${join(outDir, "report.json")}`,
  );
  return lines.join("\n");
}

export const ETL_COMMAND: CommandSpec<typeof OPTIONS> = {
  usage: USAGE,
  options: OPTIONS,
  unexpectedExitCode: 3,
  run: async ({ values }, io) => {
    const args = readArgs(values);
    const problem = await inputProblem(args.input);
    if (problem) throw new CommandFailure(problem, 2);
    let claim: { created: boolean };
    try {
      claim = await claimOutDir(
        args.out,
        (name) => name.endsWith(".csv") || name === "report.json" || name === TEST_SET_DIR,
      );
    } catch (error) {
      if (error instanceof OutDirError) throw new CommandFailure(error.message, 2, { cause: error });
      throw error;
    }
    io.err(`reading ${args.input} -> ${args.out}`);
    // Scratch space next to the output: the databases can be large, and one file system allows renames.
    const workDir = await mkdtemp(join(args.out, ".etl-work-"));
    const progress = progressPrinter(process.stderr);
    try {
      const report = await runEtl({
        inputPath: args.input,
        inputName: args.input,
        outDir: args.out,
        workDir,
        settings: args.settings,
        onProgress: progress.update,
      });
      progress.done();
      await writeFile(join(args.out, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
      io.out(summarize(report, args.out));
    } catch (error) {
      progress.done();
      await removeOutputs(args.out);
      await rm(workDir, { recursive: true, force: true });
      await releaseOutDir(args.out, claim);
      if (error instanceof InputError || (error as NodeJS.ErrnoException).code === "ENOENT") {
        throw new CommandFailure((error as Error).message, 1, { cause: error });
      }
      throw error;
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  },
};

/** Checked before the output folder is made, so a mistyped path leaves nothing behind. */
async function inputProblem(input: string): Promise<string | undefined> {
  const found = await stat(input).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT" || error.code === "ENOTDIR") return undefined;
    throw error;
  });
  if (!found) return `--input ${input} does not exist`;
  if (found.isDirectory()) return `--input ${input} is a directory; give the dataset file (a .zip or .csv)`;
  if (!found.isFile()) return `--input ${input} is not a regular file`;
  return undefined;
}

function plural(n: number, one: string): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : `${one}s`}`;
}

/** A failed run leaves no half-written training or test files behind to be mistaken for good ones. */
async function removeOutputs(outDir: string): Promise<void> {
  for (const name of await readdir(outDir)) {
    if (name.endsWith(".csv") || name.endsWith(".csv.filtering") || name.endsWith(".csv.splitting"))
      await rm(join(outDir, name), { force: true });
  }
  await rm(join(outDir, TEST_SET_DIR), { recursive: true, force: true });
}

/** The process entry (`npm run etl` starts it from prebuilt JavaScript through scripts/run-cli.cjs). */
export function runCli(argv: string[]): Promise<number> {
  silenceSqliteExperimentalWarning();
  return runCommand(ETL_COMMAND, argv, STDIO);
}

if (typeof module !== "undefined" && require.main === module) {
  runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
