/**
 * The local command: check a dataset and produce the training files before paying for hours of training.
 *
 *   npm run etl -- --input <zip|csv> --out <dir> [--label-column c --text-columns a,b]
 *                  [--min-docs-per-label n] [--max-doc-bytes n] [--workers n]
 *
 * Exit codes: 0 done, 1 unusable input (the message names the member or column), 2 bad arguments,
 * 3 unexpected failure.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { InputError } from "./errors";
import { type EtlProgress, type EtlReport, runEtl } from "./etl";

export const DEFAULTS = {
  labelColumn: "assignment_group",
  textColumns: "short_description,description",
  minDocsPerLabel: 50,
  maxDocBytes: 10000,
} as const;

const USAGE = `usage: npm run etl -- --input <dataset.zip|tickets.csv> --out <dir>
  [--label-column ${DEFAULTS.labelColumn}] [--text-columns ${DEFAULTS.textColumns}]
  [--min-docs-per-label ${DEFAULTS.minDocsPerLabel}] [--max-doc-bytes ${DEFAULTS.maxDocBytes}] [--workers <cores>]`;

class UsageError extends Error {
  override readonly name = "UsageError";
}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

function parse(argv: string[]) {
  let values: ReturnType<typeof parseArgs<{ options: typeof options }>>["values"];
  const options = {
    input: { type: "string" },
    out: { type: "string" },
    "label-column": { type: "string" },
    "text-columns": { type: "string" },
    "min-docs-per-label": { type: "string" },
    "max-doc-bytes": { type: "string" },
    workers: { type: "string" },
    help: { type: "boolean", short: "h" },
  } as const;
  try {
    values = parseArgs({ args: argv, options, allowPositionals: false }).values;
  } catch (cause) {
    throw new UsageError((cause as Error).message);
  }
  if (values.help) return undefined;
  if (!values.input) throw new UsageError("--input is required");
  if (!values.out) throw new UsageError("--out is required");
  const textColumns = (values["text-columns"] ?? DEFAULTS.textColumns)
    .split(",")
    .map((c) => c.trim())
    .filter((c) => c !== "");
  if (textColumns.length === 0) throw new UsageError("--text-columns needs at least one column name");
  return {
    input: resolve(values.input),
    out: resolve(values.out),
    settings: {
      labelColumn: values["label-column"] ?? DEFAULTS.labelColumn,
      textColumns,
      minDocsPerLabel: positiveInt(
        "min-docs-per-label",
        values["min-docs-per-label"],
        DEFAULTS.minDocsPerLabel,
      ),
      maxDocBytes: positiveInt("max-doc-bytes", values["max-doc-bytes"], DEFAULTS.maxDocBytes),
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
    `${report.document_count} documents in ${report.label_count} labels -> ${outDir}`,
    ...Object.entries(report.label_counts).map(([label, n]) => `  ${label}: ${n}`),
  ];
  if (report.left_out_labels.length > 0) {
    lines.push(
      `left out (fewer than ${report.settings.min_docs_per_label} documents): ` +
        report.left_out_labels.map((l) => `${l.label} (${l.documents})`).join(", "),
    );
  }
  const dropped: string[] = [];
  if (report.dropped.empty > 0) dropped.push(`${report.dropped.empty} empty`);
  if (report.dropped.no_label > 0) dropped.push(`${report.dropped.no_label} without a label`);
  if (dropped.length > 0) lines.push(`dropped: ${dropped.join(", ")}`);
  if (report.cut.documents > 0) {
    lines.push(`cut to ${report.cut.max_doc_bytes} bytes: ${report.cut.documents} documents`);
  }
  if (report.ignored_entries.length > 0) {
    lines.push(`ignored: ${report.ignored_entries.map((e) => `${e.name} (${e.reason})`).join("; ")}`);
  }
  lines.push(
    `${report.output.files.length} file(s), ${(report.output.bytes / MB).toFixed(1)} MB, in ${(report.timing_ms.total / 1000).toFixed(1)} s; report: ${join(outDir, "report.json")}`,
  );
  return lines.join("\n");
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
  await mkdir(args.out, { recursive: true });
  const existing = (await readdir(args.out)).filter(
    (name) => name.endsWith(".csv") || name === "report.json",
  );
  if (existing.length > 0) {
    process.stderr.write(
      `error: ${args.out} already holds ${existing.join(", ")}; choose an empty --out directory\n`,
    );
    return 2;
  }
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
    process.stdout.write(`${summarize(report, args.out)}\n`);
    return 0;
  } catch (error) {
    progress.done();
    await removeOutputs(args.out);
    if (error instanceof InputError) {
      process.stderr.write(`error: ${error.message}\n`);
      return 1;
    }
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      process.stderr.write(`error: ${(error as Error).message}\n`);
      return 1;
    }
    process.stderr.write(`unexpected failure: ${(error as Error).stack ?? error}\n`);
    return 3;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** A failed run leaves no half-written training files behind to be mistaken for good ones. */
async function removeOutputs(outDir: string): Promise<void> {
  for (const name of await readdir(outDir)) {
    if (name.endsWith(".csv") || name.endsWith(".csv.filtering"))
      await rm(join(outDir, name), { force: true });
  }
}

if (require.main === module) {
  // node:sqlite is stable enough for a read-only scan; its ExperimentalWarning would only confuse users.
  const emitWarning = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (!String(warning).includes("SQLite is an experimental")) emitWarning(warning, ...rest);
  }) as typeof process.emitWarning;
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`unexpected failure: ${(error as Error).stack ?? error}\n`);
      process.exitCode = 3;
    },
  );
}
