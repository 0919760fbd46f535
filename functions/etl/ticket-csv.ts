/**
 * A ticket export (ServiceNow, Jira...) as CSV with a header row: one column gives the label, one or more
 * columns are joined into the document text.
 */
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { CsvError, parse } from "csv-parse";
import { type DocumentOptions, normalizeLabel, TrainingCsvWriter } from "./documents";
import { InputError } from "./errors";

export interface TicketCsvOptions extends DocumentOptions {
  readonly outDir: string;
  readonly labelColumn: string;
  readonly textColumns: readonly string[];
  /** The field delimiter; detected from the header row when not given. */
  readonly delimiter?: string | undefined;
  /** Count labels that differ only in letter case as one label (the first spelling seen). */
  readonly mergeLabelVariants?: boolean | undefined;
  /** What the user sets the columns with, for the error that names a missing column. */
  readonly columnSettings?: { readonly label: string; readonly text: string } | undefined;
  readonly onProgress?: (progress: { readonly rows: number; readonly bytesRead: number }) => void;
}

/** Labels that differ only in letter case or spacing: one team spelled two ways, or two classes by mistake. */
export interface LabelVariants {
  readonly labels: readonly { readonly label: string; readonly documents: number }[];
  /** The spelling every variant was counted under, when merging was asked for. */
  readonly merged_into: string | null;
}

export interface TicketCsvSummary {
  readonly rows: number;
  readonly documents: number;
  readonly no_label_dropped: number;
  readonly empty_dropped: number;
  readonly cut: number;
  /** UTF-8 bytes of the documents' text. */
  readonly text_bytes: number;
  readonly output_file: string;
  readonly label_column: string;
  readonly text_columns: readonly string[];
  readonly delimiter: string;
  readonly delimiter_detected: boolean;
  readonly label_variants: readonly LabelVariants[];
}

export const DELIMITERS = [",", ";", "\t", "|"] as const;

/**
 * The delimiter of a header row: the candidate that occurs most often outside quotes (Excel writes `;` in
 * locales with a decimal comma, and many tools export tabs). A header with none of them is one column: `,`.
 */
export function detectDelimiter(sample: string): string {
  const counts = new Map<string, number>(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const char of sample) {
    if (char === '"') quoted = !quoted;
    else if (!quoted && (char === "\n" || char === "\r")) break;
    else if (!quoted && counts.has(char)) counts.set(char, (counts.get(char) ?? 0) + 1);
  }
  let best = ",";
  for (const [delimiter, count] of counts) if (count > (counts.get(best) ?? 0)) best = delimiter;
  return best;
}

export function describeDelimiter(delimiter: string): string {
  return delimiter === "\t" ? "tab" : `'${delimiter}'`;
}

/** How labels are compared for variants: case and inner spacing do not count. */
function variantKey(label: string): string {
  return label.toLowerCase().replace(/\s+/g, " ");
}

export const TICKETS_FILE = "tickets.csv";

/** Finds a header column by exact name, else by a unique case-insensitive match (exports vary in casing). */
export function resolveColumn(
  header: readonly string[],
  wanted: string,
  role: string,
  setting?: string,
): number {
  const exact = header.indexOf(wanted);
  if (exact >= 0) return exact;
  const folded = header.flatMap((name, index) =>
    name.trim().toLowerCase() === wanted.trim().toLowerCase() ? [index] : [],
  );
  if (folded.length === 1) return folded[0] as number;
  throw new InputError(
    `the CSV has no ${role} column "${wanted}"; its columns are: ${header.map((name) => `"${name}"`).join(", ")}` +
      (setting ? `. Name the ${role} column with ${setting}` : ""),
  );
}

export async function convertTicketCsv(
  inputPath: string,
  options: TicketCsvOptions,
): Promise<{ summary: TicketCsvSummary; labels: Map<string, number> }> {
  const detected = options.delimiter === undefined;
  const delimiter = options.delimiter ?? detectDelimiter(await readHead(inputPath));
  const writer = new TrainingCsvWriter(join(options.outDir, TICKETS_FILE), options);
  const input = createReadStream(inputPath);
  const parser = input.pipe(
    parse({ bom: true, skip_empty_lines: true, relax_column_count: true, delimiter }),
  );
  input.on("error", (error) => parser.destroy(error));
  let labelIndex = -1;
  let textIndexes: number[] = [];
  let rows = 0;
  let noLabel = 0;
  const spellings = new Map<string, Map<string, number>>();
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (labelIndex < 0) {
        labelIndex = resolveColumn(record, options.labelColumn, "label", options.columnSettings?.label);
        textIndexes = options.textColumns.map((column) =>
          resolveColumn(record, column, "text", options.columnSettings?.text),
        );
        continue;
      }
      rows++;
      const spelled = normalizeLabel(record[labelIndex] ?? "");
      if (spelled === "") {
        noLabel++;
        continue;
      }
      const key = variantKey(spelled);
      const variants = spellings.get(key) ?? new Map<string, number>();
      spellings.set(key, variants);
      variants.set(spelled, (variants.get(spelled) ?? 0) + 1);
      const label = options.mergeLabelVariants ? (variants.keys().next().value as string) : spelled;
      const text = textIndexes
        .map((index) => record[index] ?? "")
        .filter((value) => value.trim() !== "")
        .join(" ");
      writer.add(label, text);
      if (writer.pending >= 2000) {
        await writer.flush();
        options.onProgress?.({ rows, bytesRead: input.bytesRead });
      }
    }
    if (labelIndex < 0) throw new InputError("the CSV is empty: no header row");
    await writer.close();
  } catch (error) {
    writer.destroy();
    if (isCsvParseError(error)) {
      throw new InputError(`the CSV cannot be parsed: ${describeCsvError(error)}`, { cause: error });
    }
    throw error;
  }
  options.onProgress?.({ rows, bytesRead: input.bytesRead });
  const summary: TicketCsvSummary = {
    rows,
    documents: writer.stats.documents,
    no_label_dropped: noLabel,
    empty_dropped: writer.stats.emptyDropped,
    cut: writer.stats.cut,
    text_bytes: writer.stats.textBytes,
    output_file: TICKETS_FILE,
    label_column: options.labelColumn,
    text_columns: options.textColumns,
    delimiter,
    delimiter_detected: detected,
    label_variants: [...spellings.values()]
      .filter((variants) => variants.size > 1)
      .map((variants) => ({
        labels: [...variants].map(([label, documents]) => ({ label, documents })),
        merged_into: options.mergeLabelVariants ? (variants.keys().next().value as string) : null,
      })),
  };
  return { summary, labels: writer.stats.labels };
}

async function readHead(path: string): Promise<string> {
  const handle = await open(path, "r");
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(64 * 1024), 0, 64 * 1024, 0);
    return buffer.subarray(0, bytesRead).toString("utf8");
  } finally {
    await handle.close();
  }
}

/**
 * csv-parse's error in a person's words: its own ("... instead of delimiter, record delimiter, trimable
 * character (if activated) or comment") names parser internals, not what to fix in the export.
 */
export function describeCsvError(error: Error): string {
  const { code, lines } = error as Error & { code?: string; lines?: number };
  const at = lines ? `line ${lines}: ` : "";
  switch (code) {
    case "CSV_QUOTE_NOT_CLOSED":
      return `${at}a quoted field is never closed (a " is missing, or the file was cut short)`;
    case "CSV_INVALID_CLOSING_QUOTE":
    case "CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE":
      return `${at}a quoted field has text after its closing quote; a quote inside a field must be written twice ("")`;
    case "INVALID_OPENING_QUOTE":
      return `${at}a field that is not quoted holds a quote; quote the whole field and write the quote twice ("")`;
    default:
      return `${at}${error.message.replace(/\s*\(if activated\)/g, "")}`;
  }
}

/** csv-parse's errors; checked by class name too, since jest runs modules in their own realm. */
export function isCsvParseError(error: unknown): error is Error {
  return (
    error instanceof CsvError ||
    (typeof error === "object" && error !== null && error.constructor?.name === "CsvError")
  );
}
