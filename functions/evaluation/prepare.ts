/** The documents to evaluate: what the ETL makes of a zip or CSV, or what it made already (its output folder). */
import { mkdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { ETL_DEFAULTS } from "../../contract/environment";
import type { CsvSettings } from "../etl/csv-options";
import { type EtlReport, runEtl } from "../etl/etl";
import { EvaluationInputError, type LabelledDocument, readTrainingDocuments } from "./documents";

export interface PrepareOptions {
  readonly input: string;
  readonly csv: CsvSettings;
  readonly maxDocuments: number;
  readonly seed: number;
}

export interface PreparedDocuments {
  readonly documents: LabelledDocument[];
  readonly total: number;
  readonly prepared: "read" | "etl";
  /** What the ETL left out and warned about (from its report; none for a folder without one). */
  readonly leftOut: readonly { readonly label: string; readonly documents: number }[];
  readonly warnings: readonly string[];
  readonly minDocsPerLabel: number;
}

function factsOf(
  report: Pick<EtlReport, "left_out_labels" | "warnings" | "settings"> | undefined,
  csv: CsvSettings,
) {
  return {
    minDocsPerLabel: report?.settings.min_docs_per_label ?? csv.minDocsPerLabel,
    leftOut: (report?.left_out_labels ?? []).map(({ label, documents }) => ({ label, documents })),
    warnings: report?.warnings ?? [],
  };
}

/** The documents the ETL makes of the input (a folder is taken as the ETL's output already). */
export async function prepareDocuments(
  options: PrepareOptions,
  workDir: string,
  onProgress: (message: string) => void = () => {},
): Promise<PreparedDocuments> {
  const found = await stat(options.input).catch(() => undefined);
  if (!found) throw new EvaluationInputError(`--input ${options.input} does not exist`);
  if (found.isDirectory()) {
    const report = await readFile(join(options.input, "report.json"), "utf8").then(
      (text) => JSON.parse(text) as EtlReport,
      () => undefined,
    );
    return {
      ...(await readTrainingDocuments(options.input, options.maxDocuments, options.seed)),
      prepared: "read",
      ...factsOf(report, options.csv),
    };
  }
  onProgress(`preparing documents as the ETL does: ${options.input}`);
  const out = join(workDir, "prepped");
  await mkdir(out, { recursive: true });
  const report = await runEtl({
    inputPath: options.input,
    inputName: options.input,
    outDir: out,
    workDir,
    settings: { ...options.csv, maxDocBytes: ETL_DEFAULTS.maxDocBytes },
  });
  return {
    ...(await readTrainingDocuments(out, options.maxDocuments, options.seed)),
    prepared: "etl",
    ...factsOf(report, options.csv),
  };
}
