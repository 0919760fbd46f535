/**
 * A ticket export as a backlog to classify: an id column and text columns, read with the ETL's column rules
 * (exact name, else a unique case-insensitive match; delimiter detected) and normalised as training documents.
 */
import { parse } from "csv-parse/sync";
import { normalizeText } from "../etl/documents";
import { InputError } from "../etl/errors";
import { describeCsvError, detectDelimiter, isCsvParseError, resolveColumn } from "../etl/ticket-csv";

export interface BacklogTicket {
  readonly id: string;
  readonly text: string;
}

export interface BacklogColumns {
  readonly idColumn: string;
  readonly textColumns: readonly string[];
  /** How the user names them (flags, Terraform variables), for the error that names a missing one. */
  readonly settings: { readonly id: string; readonly text: string };
}

export interface Backlog {
  /** Each ticket once, in the export's order; an empty text is a ticket too (it gets a row, not a job line). */
  readonly tickets: readonly BacklogTicket[];
  /** Rows whose id an earlier row already had: the first row of an id is the ticket classified. */
  readonly repeated: readonly { readonly line: number; readonly id: string }[];
}

export function parseBacklog(content: string, columns: BacklogColumns): Backlog {
  let records: string[][];
  try {
    records = parse(content, {
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      delimiter: detectDelimiter(content.slice(0, 65536)),
    }) as string[][];
  } catch (error) {
    throw new InputError(
      `the CSV cannot be parsed: ${isCsvParseError(error) ? describeCsvError(error) : (error as Error).message}`,
      { cause: error },
    );
  }
  const [header, ...rows] = records;
  if (!header) throw new InputError("the CSV is empty: no header row");
  const idIndex = resolveColumn(header, columns.idColumn, "id", columns.settings.id);
  const textIndexes = columns.textColumns.map((column) =>
    resolveColumn(header, column, "text", columns.settings.text),
  );
  const seen = new Set<string>();
  const tickets: BacklogTicket[] = [];
  const repeated: { line: number; id: string }[] = [];
  for (const [index, row] of rows.entries()) {
    // Records, not physical lines: a quoted field may span lines; the header is record 1.
    const line = index + 2;
    const id = (row[idIndex] ?? "").trim();
    if (id === "")
      throw new InputError(`record ${line} has no ${columns.idColumn}: every ticket needs an id`);
    if (seen.has(id)) {
      repeated.push({ line, id });
      continue;
    }
    seen.add(id);
    tickets.push({ id, text: normalizeText(textIndexes.map((i) => row[i] ?? "").join(" ")) });
  }
  return { tickets, repeated };
}
