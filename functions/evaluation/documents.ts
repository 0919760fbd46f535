/**
 * The documents to evaluate, read from the ETL's output: CSV files of `label,text` records, one per line (the
 * ETL collapses whitespace, so no record spans lines), exactly what Comprehend would train on.
 */
import { createReadStream } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parse } from "csv-parse/sync";
import { seededRandom } from "./split";

export interface LabelledDocument {
  readonly label: string;
  readonly text: string;
}

export class EvaluationInputError extends Error {
  override readonly name = "EvaluationInputError";
}

async function trainingFiles(dir: string): Promise<string[]> {
  const files = (await readdir(dir)).filter((name) => name.endsWith(".csv")).sort();
  if (files.length === 0)
    throw new EvaluationInputError(`${dir} holds no training CSV files (the ETL writes them)`);
  return files.map((name) => join(dir, name));
}

/** The ETL's report says how many documents it wrote, which saves reading everything twice. */
async function reportedDocumentCount(dir: string): Promise<number | undefined> {
  try {
    const report = JSON.parse(await readFile(join(dir, "report.json"), "utf8")) as {
      document_count?: unknown;
    };
    return typeof report.document_count === "number" ? report.document_count : undefined;
  } catch {
    return undefined;
  }
}

async function countLines(files: readonly string[]): Promise<number> {
  let total = 0;
  for (const file of files) for await (const _ of lines(file)) total++;
  return total;
}

async function* lines(path: string): AsyncGenerator<string> {
  for await (const line of createInterface({
    input: createReadStream(path),
    crlfDelay: Number.POSITIVE_INFINITY,
  })) {
    if (line !== "") yield line;
  }
}

/**
 * Reads the documents, keeping each with probability `maxDocuments / total` (seeded, so label proportions hold
 * on average and a rerun reads the same ones). Returns the total before sampling too.
 */
export async function readTrainingDocuments(
  dir: string,
  maxDocuments: number,
  seed: number,
): Promise<{ documents: LabelledDocument[]; total: number }> {
  const files = await trainingFiles(dir);
  const total = (await reportedDocumentCount(dir)) ?? (await countLines(files));
  const keep = total <= maxDocuments ? 1 : maxDocuments / total;
  const random = seededRandom(seed ^ 0x5bd1e995);
  const documents: LabelledDocument[] = [];
  for (const file of files) {
    let number = 0;
    for await (const line of lines(file)) {
      number++;
      if (keep < 1 && random() >= keep) continue;
      let record: string[][];
      try {
        record = parse(line) as string[][];
      } catch {
        record = [];
      }
      const [label, text, ...more] = record[0] ?? [];
      if (label === undefined || text === undefined || more.length > 0) {
        throw new EvaluationInputError(
          `${file} line ${number} is not a "label,text" record as the ETL writes them: give a ticket export as --input (the .csv file itself), or a folder that npm run etl wrote`,
        );
      }
      documents.push({ label, text });
    }
  }
  return { documents, total };
}
