/**
 * The fixed test set: a stratified share of each label's documents held out of training and given to Comprehend
 * as InputDataConfig.TestS3Uri, so that its metrics are measured on exactly these documents and two versions are
 * compared on the same ones. Which documents go is decided by a hash of their text: the same export splits the
 * same way every time, and identical texts land on the same side (no test document is also a training one).
 */
import { once } from "node:events";
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { mkdir, rename, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";

/** Where the test file sits under an ETL output folder: apart from the training CSVs, which are all read. */
export const TEST_SET_DIR = "test";
export const TEST_SET_FILE = "test.csv";

/** Documents of a label with `documents` held out for testing: at least one, the share rounded down. */
export function testDocumentsFor(documents: number, share: number): number {
  if (share <= 0 || documents <= 0) return 0;
  return Math.max(1, Math.floor(documents * share));
}

/** A label keeps enough training documents after its test share is held out. */
export function trainableAfterHoldOut(documents: number, share: number, minDocsPerLabel: number): boolean {
  return documents - testDocumentsFor(documents, share) >= minDocsPerLabel;
}

/** FNV-1a, 32 bits: fast, stable across runs and machines, spread enough to order a label's documents. */
export function textHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

export interface TrainingFile {
  readonly name: string;
  readonly bytes: number;
  readonly documents: number;
}

export interface HeldOut {
  readonly path: string;
  readonly documents: number;
  readonly labelCounts: Record<string, number>;
  /** The training files after the split, with their new sizes. */
  readonly files: TrainingFile[];
}

type FieldOf = (line: string) => string;

async function* records(path: string): AsyncGenerator<string> {
  for await (const line of createInterface({
    input: createReadStream(path),
    crlfDelay: Number.POSITIVE_INFINITY,
  })) {
    if (line !== "") yield line;
  }
}

async function write(out: WriteStream, line: string): Promise<void> {
  if (!out.write(`${line}\n`)) await once(out, "drain");
}

async function close(out: WriteStream): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    out.once("error", reject);
    out.end(() => resolve());
  });
}

/**
 * Moves each label's test share out of the training files into one test file. Two passes over the files: the
 * first finds, per label, the hash below which its documents are test documents; the second splits.
 */
export async function holdOutTestSet(options: {
  readonly outDir: string;
  readonly files: readonly TrainingFile[];
  readonly share: number;
  readonly minDocsPerLabel: number;
  readonly labelOf: FieldOf;
}): Promise<HeldOut> {
  const { outDir, files, share, minDocsPerLabel, labelOf } = options;
  const hashes = new Map<string, number[]>();
  for (const file of files) {
    for await (const line of records(join(outDir, file.name))) {
      const label = labelOf(line);
      const list = hashes.get(label) ?? [];
      list.push(textHash(line.slice(label.length)));
      hashes.set(label, list);
    }
  }
  // Per label: documents hashing below the cutoff are test documents, and of those hashing to it (identical
  // texts, or a collision) all of them when training keeps enough without them, else just as many as needed.
  const cutoffs = new Map<string, { hash: number; ties: number }>();
  for (const [label, list] of hashes) {
    list.sort((a, b) => a - b);
    const wanted = testDocumentsFor(list.length, share);
    const hash = list[wanted - 1] as number;
    const below = list.filter((h) => h < hash).length;
    const atOrBelow = list.filter((h) => h <= hash).length;
    const ties = list.length - atOrBelow >= minDocsPerLabel ? atOrBelow - below : wanted - below;
    cutoffs.set(label, { hash, ties });
  }

  const testPath = join(outDir, TEST_SET_DIR, TEST_SET_FILE);
  await mkdir(dirname(testPath), { recursive: true });
  const test = createWriteStream(testPath);
  const labelCounts: Record<string, number> = {};
  let testDocuments = 0;
  const split: TrainingFile[] = [];
  for (const file of files) {
    const path = join(outDir, file.name);
    const temp = `${path}.splitting`;
    const training = createWriteStream(temp);
    let documents = 0;
    for await (const line of records(path)) {
      const label = labelOf(line);
      const cutoff = cutoffs.get(label);
      const hash = textHash(line.slice(label.length));
      let isTest = cutoff !== undefined && hash < cutoff.hash;
      if (cutoff && hash === cutoff.hash && cutoff.ties > 0) {
        cutoff.ties--;
        isTest = true;
      }
      if (isTest) {
        await write(test, line);
        labelCounts[label] = (labelCounts[label] ?? 0) + 1;
        testDocuments++;
      } else {
        await write(training, line);
        documents++;
      }
    }
    await close(training);
    await rename(temp, path);
    split.push({ name: file.name, bytes: (await stat(path)).size, documents });
  }
  await close(test);
  return { path: testPath, documents: testDocuments, labelCounts, files: split };
}
