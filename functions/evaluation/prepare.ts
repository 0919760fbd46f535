/** The documents to evaluate: what the ETL makes of a zip or CSV, or what it made already (its output folder). */
import { mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { ETL_DEFAULTS } from "../../contract/environment";
import { runEtl } from "../etl/etl";
import { EvaluationInputError, type LabelledDocument, readTrainingDocuments } from "./documents";

export interface PrepareOptions {
  readonly input: string;
  readonly labelColumn?: string | undefined;
  readonly textColumns?: readonly string[] | undefined;
  readonly minDocsPerLabel?: number | undefined;
  readonly maxDocuments: number;
  readonly seed: number;
}

/** The documents the ETL makes of the input (a folder is taken as the ETL's output already). */
export async function prepareDocuments(
  options: PrepareOptions,
  workDir: string,
  onProgress: (message: string) => void = () => {},
): Promise<{ documents: LabelledDocument[]; total: number; prepared: "read" | "etl" }> {
  const found = await stat(options.input).catch(() => undefined);
  if (!found) throw new EvaluationInputError(`--input ${options.input} does not exist`);
  if (found.isDirectory()) {
    return {
      ...(await readTrainingDocuments(options.input, options.maxDocuments, options.seed)),
      prepared: "read",
    };
  }
  onProgress(`preparing documents as the ETL does: ${options.input}`);
  const out = join(workDir, "prepped");
  await mkdir(out, { recursive: true });
  await runEtl({
    inputPath: options.input,
    inputName: options.input,
    outDir: out,
    workDir,
    settings: {
      labelColumn: options.labelColumn ?? ETL_DEFAULTS.csvLabelColumn,
      textColumns: options.textColumns ?? ETL_DEFAULTS.csvTextColumns,
      minDocsPerLabel: options.minDocsPerLabel ?? ETL_DEFAULTS.minDocsPerLabel,
      maxDocBytes: ETL_DEFAULTS.maxDocBytes,
      columnSettings: { label: "--label-column", text: "--text-columns" },
    },
  });
  return { ...(await readTrainingDocuments(out, options.maxDocuments, options.seed)), prepared: "etl" };
}
