/**
 * A ticket export (ServiceNow, Jira...) as CSV with a header row: one column gives the label, one or more
 * columns are joined into the document text.
 */
import { createReadStream } from "node:fs";
import { join } from "node:path";
import { CsvError, parse } from "csv-parse";
import { type DocumentOptions, normalizeLabel, TrainingCsvWriter } from "./documents";
import { InputError } from "./errors";

export interface TicketCsvOptions extends DocumentOptions {
  readonly outDir: string;
  readonly labelColumn: string;
  readonly textColumns: readonly string[];
  readonly onProgress?: (progress: { readonly rows: number; readonly bytesRead: number }) => void;
}

export interface TicketCsvSummary {
  readonly rows: number;
  readonly documents: number;
  readonly no_label_dropped: number;
  readonly empty_dropped: number;
  readonly cut: number;
  readonly output_file: string;
  readonly label_column: string;
  readonly text_columns: readonly string[];
}

export const TICKETS_FILE = "tickets.csv";

/** Finds a header column by exact name, else by a unique case-insensitive match (exports vary in casing). */
export function resolveColumn(header: readonly string[], wanted: string, role: string): number {
  const exact = header.indexOf(wanted);
  if (exact >= 0) return exact;
  const folded = header.flatMap((name, index) =>
    name.trim().toLowerCase() === wanted.trim().toLowerCase() ? [index] : [],
  );
  if (folded.length === 1) return folded[0] as number;
  throw new InputError(
    `the CSV has no ${role} column "${wanted}"; its columns are: ${header.map((name) => `"${name}"`).join(", ")}`,
  );
}

export async function convertTicketCsv(
  inputPath: string,
  options: TicketCsvOptions,
): Promise<{ summary: TicketCsvSummary; labels: Map<string, number> }> {
  const writer = new TrainingCsvWriter(join(options.outDir, TICKETS_FILE), options);
  const input = createReadStream(inputPath);
  const parser = input.pipe(parse({ bom: true, skip_empty_lines: true, relax_column_count: true }));
  input.on("error", (error) => parser.destroy(error));
  let labelIndex = -1;
  let textIndexes: number[] = [];
  let rows = 0;
  let noLabel = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (labelIndex < 0) {
        labelIndex = resolveColumn(record, options.labelColumn, "label");
        textIndexes = options.textColumns.map((column) => resolveColumn(record, column, "text"));
        continue;
      }
      rows++;
      const label = normalizeLabel(record[labelIndex] ?? "");
      if (label === "") {
        noLabel++;
        continue;
      }
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
      throw new InputError(`the CSV cannot be parsed: ${error.message}`, { cause: error });
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
    output_file: TICKETS_FILE,
    label_column: options.labelColumn,
    text_columns: options.textColumns,
  };
  return { summary, labels: writer.stats.labels };
}

/** csv-parse's errors; checked by class name too, since jest runs modules in their own realm. */
function isCsvParseError(error: unknown): error is Error {
  return (
    error instanceof CsvError ||
    (typeof error === "object" && error !== null && error.constructor?.name === "CsvError")
  );
}
