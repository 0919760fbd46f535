/**
 * The ETL core shared by the Lambda handler and the local command: input file in, Comprehend training CSVs
 * and a report out. No AWS here.
 */

import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { open, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { createInterface } from "node:readline";
import { BlockDecodePool } from "./bzip2";
import { InputError } from "./errors";
import type { RetrainingSummary } from "./retraining-set";
import { convertSeossZip, type IgnoredEntry, type MemberSummary, type SeossProgress } from "./seoss";
import {
  holdOutTestSet,
  TEST_SET_DIR,
  TEST_SET_FILE,
  testDocumentsFor,
  trainableAfterHoldOut,
} from "./test-set";
import {
  conversionWarning,
  convertToUtf8,
  detectFileEncoding,
  type ExportEncoding,
  encodingByBom,
} from "./text-encoding";
import { convertTicketCsv, TICKETS_FILE, type TicketCsvSummary } from "./ticket-csv";

export interface ComprehendLimits {
  readonly maxLabels: number;
  readonly maxDocuments: number;
  readonly maxTrainingBytes: number;
  readonly minLabels: number;
}

/** Comprehend custom classification quotas (multi-class, plain text). */
export const COMPREHEND_LIMITS: ComprehendLimits = {
  maxLabels: 1000,
  maxDocuments: 1_000_000,
  maxTrainingBytes: 5 * 1024 ** 3,
  minLabels: 2,
};

export interface EtlSettings {
  readonly minDocsPerLabel: number;
  /** Share of each label's documents held out as the fixed test set (0: none; Comprehend then splits itself). */
  readonly testShare?: number;
  readonly maxDocBytes: number;
  readonly labelColumn: string;
  readonly textColumns: readonly string[];
  /** Worker threads for bzip2; defaults to the number of cores. */
  readonly workers?: number;
  /** CSV field delimiter; detected from the header row when absent. */
  readonly delimiter?: string | undefined;
  /** Count CSV labels that differ only in case or spacing as one. */
  readonly mergeLabelVariants?: boolean | undefined;
  /** How the user names the CSV columns (a CLI flag, a Terraform variable), for error messages. */
  readonly columnSettings?: { readonly label: string; readonly text: string } | undefined;
}

export type EtlProgress =
  | SeossProgress
  | { readonly phase: "csv"; readonly rows: number; readonly bytesRead: number };

export interface EtlRequest {
  readonly inputPath: string;
  /** Name shown in messages and the report (the S3 key or the local path). */
  readonly inputName: string;
  /** Receives the training CSVs and nothing else. */
  readonly outDir: string;
  /** Scratch space for decompressed databases. */
  readonly workDir: string;
  readonly settings: EtlSettings;
  readonly limits?: Partial<ComprehendLimits>;
  readonly onProgress?: (progress: EtlProgress) => void;
}

export interface OutputFile {
  readonly name: string;
  readonly bytes: number;
  readonly documents: number;
}

export interface EtlReport {
  readonly input: { readonly name: string; readonly kind: "seoss-zip" | "csv"; readonly bytes: number };
  readonly settings: {
    readonly min_docs_per_label: number;
    readonly max_doc_bytes: number;
    readonly label_column?: string;
    readonly text_columns?: readonly string[];
  };
  /** Training documents per label (the test set's are apart, in test_set). */
  readonly label_counts: Record<string, number>;
  readonly label_count: number;
  readonly document_count: number;
  /** The fixed test set, when test_share > 0: its file under the output folder and its documents per label. */
  readonly test_set?: {
    readonly file: string;
    readonly share: number;
    readonly documents: number;
    readonly bytes: number;
    readonly label_counts: Record<string, number>;
  };
  readonly left_out_labels: { readonly label: string; readonly documents: number; readonly reason: string }[];
  readonly dropped: {
    readonly empty: number;
    readonly no_label: number;
    /** SEOSS bug rows whose summary or description is NULL. */
    readonly null_text: number;
    readonly left_out_label_documents: number;
  };
  /** Things a person should look at before paying for training, in plain words. */
  readonly warnings: readonly string[];
  readonly cut: { readonly documents: number; readonly max_doc_bytes: number };
  /**
   * The documents' mean length in UTF-8 bytes (about their characters for Latin text): what one request to an
   * endpoint costs of its 100 characters a second per inference unit, so the API's rate limit follows from it.
   */
  readonly document_bytes?: { readonly mean: number };
  readonly members?: MemberSummary[];
  readonly csv?: TicketCsvSummary;
  readonly ignored_entries: IgnoredEntry[];
  readonly output: {
    readonly files: OutputFile[];
    readonly bytes: number;
    readonly decompressed_bytes: number;
  };
  readonly timing_ms: { readonly total: number };
  /** Present when the run is the next training set of a served model (retrain_input/). */
  readonly retraining?: RetrainingSummary;
}

type InputKind = "seoss-zip" | "csv";

/** The one line that names the labels left out, for `npm run etl` and `npm run evaluate` alike. */
export function leftOutLine(
  leftOut: readonly { readonly label: string; readonly documents: number }[],
  minDocsPerLabel: number,
): string | undefined {
  if (leftOut.length === 0) return undefined;
  return `left out (fewer than ${minDocsPerLabel} documents): ${leftOut.map((l) => `${l.label} (${l.documents})`).join(", ")}`;
}

/** DocumentClassificationConfig.Labels: each at most 5,000 characters. */
const MAX_LABEL_LENGTH = 5000;

/** Files people upload by mistake, by their first bytes, with what to do instead. */
const KNOWN_BINARY_FORMATS = [
  { magic: Buffer.from([0x1f, 0x8b]), what: "a gzip file", fix: "decompress it, or upload the SEOSS zip" },
  {
    magic: Buffer.from("BZh"),
    what: "a bzip2 file",
    fix: "upload the SEOSS zip that holds it, or a CSV export",
  },
  { magic: Buffer.from("%PDF"), what: "a PDF document", fix: "export the tickets as CSV" },
  {
    magic: Buffer.from([0xd0, 0xcf, 0x11, 0xe0]),
    what: "an old Excel (.xls) or Word document",
    fix: "save it as CSV",
  },
  {
    magic: Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]),
    what: "a 7-Zip archive",
    fix: "repack it as a zip",
  },
  { magic: Buffer.from("Rar!"), what: "a RAR archive", fix: "repack it as a zip" },
  {
    magic: Buffer.from("SQLite format 3\0"),
    what: "a bare SQLite database",
    fix: "upload the SEOSS zip of bzip2 databases",
  },
] as const;

/** Decides from the first bytes (and the name) whether the upload is a zip or a CSV text file. */
export async function detectInputKind(path: string, name: string): Promise<InputKind> {
  const handle = await open(path, "r");
  let sample: Buffer;
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(64 * 1024), 0, 64 * 1024, 0);
    sample = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  const isZip =
    sample.length >= 4 && sample[0] === 0x50 && sample[1] === 0x4b && [3, 5, 7].includes(sample[2] as number);
  const display = basename(name);
  // Office documents are zip archives too; "no databases in the zip" would send the user looking elsewhere.
  if (isZip && sample.includes("[Content_Types].xml")) {
    throw new InputError(
      `${display} is an Office document (an Excel workbook or similar), not a dataset: save or export it as CSV and upload that`,
    );
  }
  if (isZip) return "seoss-zip";
  const other = KNOWN_BINARY_FORMATS.find((format) =>
    sample.subarray(0, format.magic.length).equals(format.magic),
  );
  if (other)
    throw new InputError(`${display} is ${other.what}, not a zip archive or a CSV text file; ${other.fix}`);
  if (/\.zip$/i.test(name)) throw new InputError(`${display} is not a zip archive`);
  if (sample.length === 0) throw new InputError(`${display} is empty`);
  // A text export in any encoding is a CSV here (convertCsvInput converts it); NUL bytes without a UTF-16 byte
  // order mark are not text.
  if (sample.includes(0) && !encodingByBom(sample)) {
    throw new InputError(
      `${display} is neither a zip archive nor a CSV text file (it holds binary data); export the tickets as CSV`,
    );
  }
  return "csv";
}

export async function runEtl(request: EtlRequest): Promise<EtlReport> {
  const started = performance.now();
  const { settings } = request;
  const limits = { ...COMPREHEND_LIMITS, ...request.limits };
  const kind = await detectInputKind(request.inputPath, request.inputName);
  const inputBytes = (await stat(request.inputPath)).size;

  let members: MemberSummary[] | undefined;
  let csv: TicketCsvSummary | undefined;
  let ignored: IgnoredEntry[] = [];
  let encodingWarning: string | undefined;
  // Documents per label per output file: a left-out label may share a file with kept ones (CSV input).
  const fileLabels = new Map<string, Map<string, number>>();
  if (kind === "seoss-zip") {
    const pool = new BlockDecodePool(settings.workers);
    try {
      const result = await convertSeossZip(request.inputPath, {
        workDir: request.workDir,
        outDir: request.outDir,
        pool,
        maxDocBytes: settings.maxDocBytes,
        onProgress: request.onProgress,
      });
      members = result.members;
      ignored = result.ignored;
    } finally {
      await pool.close();
    }
    for (const member of members) {
      fileLabels.set(member.output_file as string, new Map([[member.label, member.documents]]));
    }
  } else {
    const { summary, labels, encoding } = await convertCsvInput(request);
    csv = summary;
    encodingWarning = conversionWarning(encoding);
    fileLabels.set(TICKETS_FILE, labels);
  }

  const totals = new Map<string, number>();
  for (const labels of fileLabels.values()) {
    for (const [label, n] of labels) totals.set(label, (totals.get(label) ?? 0) + n);
  }
  const share = settings.testShare ?? 0;
  const trainable = (n: number) => trainableAfterHoldOut(n, share, settings.minDocsPerLabel);
  const leftOut = [...totals]
    .filter(([, n]) => !trainable(n))
    .map(([label, documents]) => ({
      label,
      documents,
      reason:
        documents >= settings.minDocsPerLabel
          ? `fewer than ${settings.minDocsPerLabel} training documents once ${testDocumentsFor(documents, share)} are held out for the test set (Comprehend's per-class minimum)`
          : `fewer than ${settings.minDocsPerLabel} documents (Comprehend's per-class minimum)`,
    }))
    .sort((a, b) => a.label.localeCompare(b.label));
  const keptTotals = new Map(
    [...totals].filter(([, n]) => trainable(n)).sort(([a], [b]) => a.localeCompare(b)),
  );
  checkLabels(keptTotals, leftOut, settings.minDocsPerLabel, limits);

  const kept = new Map(keptTotals);
  let files = await dropLeftOutLabels(request.outDir, fileLabels, new Set(leftOut.map((l) => l.label)));
  let testSet: EtlReport["test_set"];
  if (share > 0) {
    const held = await holdOutTestSet({
      outDir: request.outDir,
      files,
      share,
      minDocsPerLabel: settings.minDocsPerLabel,
      labelOf: firstField,
    });
    files = held.files.filter((file) => file.documents > 0);
    for (const [label, n] of Object.entries(held.labelCounts)) kept.set(label, (kept.get(label) ?? 0) - n);
    testSet = {
      file: `${TEST_SET_DIR}/${TEST_SET_FILE}`,
      share,
      documents: held.documents,
      bytes: (await stat(held.path)).size,
      label_counts: Object.fromEntries(
        Object.entries(held.labelCounts).sort(([a], [b]) => a.localeCompare(b)),
      ),
    };
  }
  const documentCount = [...kept.values()].reduce((sum, n) => sum + n, 0);
  const outputBytes = files.reduce((sum, file) => sum + file.bytes, 0);
  if (documentCount > limits.maxDocuments) {
    throw new InputError(
      `${documentCount} documents exceed Comprehend's limit of ${limits.maxDocuments} per classifier; upload fewer issues`,
    );
  }
  if (outputBytes > limits.maxTrainingBytes) {
    throw new InputError(
      `the training data is ${outputBytes} bytes, over Comprehend's limit of ${limits.maxTrainingBytes} bytes; ` +
        "lower --max-doc-bytes or upload fewer issues",
    );
  }

  const cut = members ? members.reduce((sum, m) => sum + m.cut, 0) : (csv?.cut ?? 0);
  const textBytes = members ? members.reduce((sum, m) => sum + m.text_bytes, 0) : (csv?.text_bytes ?? 0);
  const written = members ? members.reduce((sum, m) => sum + m.documents, 0) : (csv?.documents ?? 0);
  const empty = members ? members.reduce((sum, m) => sum + m.empty_dropped, 0) : (csv?.empty_dropped ?? 0);
  return {
    input: { name: request.inputName, kind, bytes: inputBytes },
    settings: {
      min_docs_per_label: settings.minDocsPerLabel,
      max_doc_bytes: settings.maxDocBytes,
      ...(kind === "csv" ? { label_column: settings.labelColumn, text_columns: settings.textColumns } : {}),
    },
    label_counts: Object.fromEntries(kept),
    label_count: kept.size,
    document_count: documentCount,
    ...(testSet && { test_set: testSet }),
    left_out_labels: leftOut,
    dropped: {
      empty,
      no_label: csv?.no_label_dropped ?? 0,
      null_text: members ? members.reduce((sum, m) => sum + m.null_text_dropped, 0) : 0,
      left_out_label_documents: leftOut.reduce((sum, l) => sum + l.documents, 0),
    },
    cut: { documents: cut, max_doc_bytes: settings.maxDocBytes },
    document_bytes: { mean: written === 0 ? 0 : Math.round(textBytes / written) },
    // A member whose label was left out has no training file any more.
    ...(members
      ? {
          members: members.map((member) =>
            files.some((file) => file.name === member.output_file)
              ? member
              : { ...member, output_file: null, output_bytes: 0 },
          ),
        }
      : {}),
    ...(csv ? { csv } : {}),
    ignored_entries: ignored,
    warnings: [...(encodingWarning ? [encodingWarning] : []), ...(csv ? labelVariantWarnings(csv) : [])],
    output: {
      files,
      bytes: outputBytes,
      decompressed_bytes: members ? members.reduce((sum, m) => sum + m.database_bytes, 0) : inputBytes,
    },
    timing_ms: { total: Math.round(performance.now() - started) },
  };
}

function labelVariantWarnings(csv: TicketCsvSummary): string[] {
  return csv.label_variants.map((variants) => {
    const spelled = variants.labels.map((l) => `"${l.label}" (${l.documents})`).join(", ");
    return variants.merged_into === null
      ? `labels that differ only in case or spacing are separate classes: ${spelled}; fix the export, or merge them with npm run etl -- --merge-label-variants`
      : `labels that differ only in case or spacing were merged into "${variants.merged_into}": ${spelled}`;
  });
}

async function convertCsvInput(
  request: EtlRequest,
): Promise<{ summary: TicketCsvSummary; labels: Map<string, number>; encoding: ExportEncoding }> {
  const { settings } = request;
  const encoding = await detectFileEncoding(request.inputPath);
  if (!encoding) throw new InputError(`${basename(request.inputName)} is not a CSV text file`);
  let inputPath = request.inputPath;
  if (encoding !== "utf-8") {
    inputPath = join(request.workDir, "export.utf8.csv");
    await convertToUtf8(request.inputPath, encoding, inputPath);
  }
  const converted = await convertTicketCsv(inputPath, {
    outDir: request.outDir,
    labelColumn: settings.labelColumn,
    textColumns: settings.textColumns,
    delimiter: settings.delimiter,
    mergeLabelVariants: settings.mergeLabelVariants,
    columnSettings: settings.columnSettings,
    maxDocBytes: settings.maxDocBytes,
    onProgress: (progress) => request.onProgress?.({ phase: "csv", ...progress }),
  });
  if (inputPath !== request.inputPath) await rm(inputPath, { force: true });
  return { ...converted, encoding };
}

/** The label field of one of our records (RFC 4180: quoted when it holds a comma or quote). */
export function firstField(line: string): string {
  if (!line.startsWith('"')) return line.slice(0, line.indexOf(","));
  let i = 1;
  let value = "";
  for (;;) {
    const quote = line.indexOf('"', i);
    value += line.slice(i, quote);
    if (line[quote + 1] === '"') {
      value += '"';
      i = quote + 2;
    } else {
      return value;
    }
  }
}

export function checkLabels(
  kept: Map<string, number>,
  leftOut: { label: string; documents: number }[],
  minDocs: number,
  limits: ComprehendLimits,
): void {
  const describe = (list: { label: string; documents: number }[]) =>
    list
      .slice(0, 20)
      .map((l) => `${l.label} (${l.documents})`)
      .join(", ") + (list.length > 20 ? `, and ${list.length - 20} more` : "");
  if (kept.size === 0) {
    throw new InputError(
      leftOut.length === 0
        ? "no usable label: the input has no labelled documents"
        : `no usable label: every label has fewer than ${minDocs} documents: ${describe(leftOut)}`,
    );
  }
  if (kept.size < limits.minLabels) {
    const [only] = [...kept.keys()];
    throw new InputError(
      `only one usable label (${only}); a classifier needs at least ${limits.minLabels} labels with ${minDocs} or more documents` +
        (leftOut.length > 0 ? `; left out: ${describe(leftOut)}` : ""),
    );
  }
  const tooLong = [...kept.keys()].find((label) => label.length > MAX_LABEL_LENGTH);
  if (tooLong !== undefined) {
    throw new InputError(
      `the label "${tooLong.slice(0, 60)}…" is longer than Comprehend's ${MAX_LABEL_LENGTH} characters; check the label column`,
    );
  }
  if (kept.size > limits.maxLabels) {
    throw new InputError(
      `${kept.size} labels exceed Comprehend's limit of ${limits.maxLabels} labels per classifier`,
    );
  }
}

/** Deletes files whose only label is left out and filters the others, so outDir holds exactly the training data. */
async function dropLeftOutLabels(
  outDir: string,
  fileLabels: Map<string, Map<string, number>>,
  leftOut: Set<string>,
): Promise<OutputFile[]> {
  const files: OutputFile[] = [];
  for (const [name, labels] of fileLabels) {
    const path = join(outDir, name);
    const keptLabels = [...labels].filter(([label]) => !leftOut.has(label));
    const documents = keptLabels.reduce((sum, [, n]) => sum + n, 0);
    if (documents === 0) {
      await rm(path, { force: true });
      continue;
    }
    if (keptLabels.length < labels.size)
      await filterRecords(path, new Set(keptLabels.map(([label]) => label)));
    files.push({ name, bytes: (await stat(path)).size, documents });
  }
  const stray = (await readdir(outDir)).filter((name) => name.endsWith(".csv") && !fileLabels.has(name));
  if (stray.length > 0) throw new Error(`unexpected files in the output directory: ${stray.join(", ")}`);
  return files.sort((a, b) => a.name.localeCompare(b.name));
}

async function filterRecords(path: string, keep: Set<string>): Promise<void> {
  // Our records never span lines (whitespace is collapsed), so each line is one record.
  const temp = `${path}.filtering`;
  const out = createWriteStream(temp);
  for await (const line of createInterface({
    input: createReadStream(path),
    crlfDelay: Number.POSITIVE_INFINITY,
  })) {
    if (keep.has(firstField(line)) && !out.write(`${line}\n`)) await once(out, "drain");
  }
  await new Promise<void>((resolve, reject) => {
    out.once("error", reject);
    out.end(() => resolve());
  });
  await rename(temp, path);
}
