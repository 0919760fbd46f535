/**
 * How a ticket export is read, as command-line options: one definition for `npm run etl` and `npm run
 * evaluate`, so the README's "the same column options" stays true.
 */
import { ETL_DEFAULTS, splitList } from "../../contract/environment";

/** parseArgs option definitions. */
export const CSV_OPTIONS = {
  "label-column": { type: "string" },
  "text-columns": { type: "string" },
  delimiter: { type: "string" },
  "merge-label-variants": { type: "boolean" },
  "min-docs-per-label": { type: "string" },
} as const;

/** The usage lines for those options. */
export const CSV_OPTIONS_USAGE = `  [--label-column ${ETL_DEFAULTS.csvLabelColumn}] [--text-columns ${ETL_DEFAULTS.csvTextColumns.join(",")}]
  [--delimiter ,|;|tab|'|'] [--merge-label-variants] [--min-docs-per-label ${ETL_DEFAULTS.minDocsPerLabel}]`;

const DELIMITER_NAMES: Record<string, string> = {
  ",": ",",
  ";": ";",
  "|": "|",
  tab: "\t",
  "\\t": "\t",
  "\t": "\t",
};

export class CsvOptionError extends Error {
  override readonly name = "CsvOptionError";
}

export interface CsvSettings {
  readonly labelColumn: string;
  readonly textColumns: readonly string[];
  readonly delimiter: string | undefined;
  readonly mergeLabelVariants: boolean;
  readonly minDocsPerLabel: number;
  /** How the user names the columns, for the error that names a missing one. */
  readonly columnSettings: { readonly label: string; readonly text: string };
}

/** The values parseArgs gave for CSV_OPTIONS, checked; a mistake is a CsvOptionError naming the option. */
export function readCsvOptions(values: {
  readonly "label-column"?: string | undefined;
  readonly "text-columns"?: string | undefined;
  readonly delimiter?: string | undefined;
  readonly "merge-label-variants"?: boolean | undefined;
  readonly "min-docs-per-label"?: string | undefined;
}): CsvSettings {
  const textColumns = splitList(values["text-columns"] ?? ETL_DEFAULTS.csvTextColumns.join(","));
  if (textColumns.length === 0) throw new CsvOptionError("--text-columns needs at least one column name");
  const delimiter = values.delimiter === undefined ? undefined : DELIMITER_NAMES[values.delimiter];
  if (values.delimiter !== undefined && delimiter === undefined) {
    throw new CsvOptionError(`--delimiter must be one of , ; tab |, got "${values.delimiter}"`);
  }
  const minimum = values["min-docs-per-label"];
  const minDocsPerLabel = minimum === undefined ? ETL_DEFAULTS.minDocsPerLabel : Number(minimum);
  if (!Number.isInteger(minDocsPerLabel) || minDocsPerLabel <= 0) {
    throw new CsvOptionError(`--min-docs-per-label must be a positive whole number, got "${minimum}"`);
  }
  return {
    labelColumn: values["label-column"] ?? ETL_DEFAULTS.csvLabelColumn,
    textColumns,
    delimiter,
    mergeLabelVariants: values["merge-label-variants"] ?? false,
    minDocsPerLabel,
    columnSettings: { label: "--label-column", text: "--text-columns" },
  };
}
