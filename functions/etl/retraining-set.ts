/**
 * The next training set of a served model: its own training and test documents plus every correction people
 * made, a correction winning over an older label of the same text. The earlier test documents stay test
 * documents (so the served and the new version are judged on the same ones), a share of the corrected texts
 * that are new joins them, and no text is ever on both sides. Files in, files out, streamed: a million
 * documents need memory for the corrections and one digest per test text, not for the documents.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { parse } from "csv-parse";
import { cutPoint, normalizeLabel, normalizeText, TrainingCsvWriter } from "./documents";
import { InputError } from "./errors";
import { COMPREHEND_LIMITS, type ComprehendLimits, checkLabels, type EtlReport } from "./etl";
import { TEST_SET_DIR, TEST_SET_FILE, testDocumentsFor, textHash } from "./test-set";
import { TICKETS_FILE } from "./ticket-csv";

/** What a correction contributes: a text and the label a person gave it, and when (the latest wins). */
export interface LabelledCorrection {
  readonly text: string;
  readonly label: string;
  readonly corrected_at: string;
}

/** The served model the set builds on: its classifier's name is the one the new version joins. */
export interface ServedModel {
  readonly classifier_arn: string;
  readonly classifier_name: string;
  readonly run_id: string;
}

export interface RetrainingRequest {
  readonly served: ServedModel;
  /** The served run's training files (Comprehend CSV, `label,text`). */
  readonly trainingFiles: readonly string[];
  /** The served run's test file; absent for a run trained before test sets existed. */
  readonly testFile?: string | undefined;
  readonly corrections: AsyncIterable<LabelledCorrection> | Iterable<LabelledCorrection>;
  readonly outDir: string;
  readonly settings: {
    readonly minDocsPerLabel: number;
    readonly maxDocBytes: number;
    /** The share of each label held out when a label has no test document yet, and of new corrected texts. */
    readonly testShare: number;
  };
  readonly limits?: Partial<ComprehendLimits>;
}

export interface RetrainingSummary {
  readonly served_classifier_arn: string;
  /** The classifier the new version is trained under (DocumentClassifierName). */
  readonly version_of: string;
  readonly base_run_id: string;
  readonly base_training_documents: number;
  readonly base_test_documents: number;
  readonly corrections: number;
  /** Corrections of a text the served model was trained or tested on, by what they did to its label. */
  readonly relabelled: number;
  readonly confirmed: number;
  /** Corrected texts the served model had never seen, by the side they joined. */
  readonly added_to_training: number;
  readonly added_to_test: number;
  /** Labels no document of the served model had. */
  readonly new_labels: readonly string[];
  /**
   * Documents moved into the test set from the served model's training data (for labels without test
   * documents): the served model has seen them, which favours it in the comparison.
   */
  readonly moved_from_training: number;
}

export type RetrainingReport = EtlReport & { readonly retraining: RetrainingSummary };

/** The key a text is known by: normalised and cut exactly as a training document, then digested. */
function textKey(text: string, maxDocBytes: number): string {
  let normalized = Buffer.from(normalizeText(text), "utf8");
  if (normalized.length > maxDocBytes) normalized = normalized.subarray(0, cutPoint(normalized, maxDocBytes));
  return createHash("sha1").update(normalized).digest("base64");
}

/** Whether a new corrected text is a test document: the same hash rule as the first hold-out, by share. */
function isTestShare(text: string, share: number): boolean {
  return share > 0 && textHash(normalizeText(text)) / 0x1_0000_0000 < share;
}

async function* comprehendRecords(path: string): AsyncGenerator<{ label: string; text: string }> {
  const parser = createReadStream(path).pipe(parse({ relax_column_count: false }));
  for await (const record of parser as AsyncIterable<string[]>) {
    const [label, text] = record;
    if (record.length !== 2 || label === undefined || text === undefined) {
      throw new InputError(`${path} is not a training file of label,text records`);
    }
    yield { label, text };
  }
}

interface Pending {
  readonly text: string;
  readonly label: string;
  readonly correctedAt: string;
  used: boolean;
}

async function collectCorrections(request: RetrainingRequest): Promise<Map<string, Pending>> {
  const latest = new Map<string, Pending>();
  for await (const correction of request.corrections) {
    const label = normalizeLabel(correction.label);
    if (label === "" || normalizeText(correction.text) === "") continue;
    const key = textKey(correction.text, request.settings.maxDocBytes);
    const earlier = latest.get(key);
    if (!earlier || earlier.correctedAt <= correction.corrected_at) {
      latest.set(key, { text: correction.text, label, correctedAt: correction.corrected_at, used: false });
    }
  }
  return latest;
}

/** Moves, per label, documents out of training (lowest hash first) and drops labels; one pass per file. */
async function rewrite(
  trainingPath: string,
  testPath: string,
  plan: { readonly dropped: ReadonlySet<string>; readonly toTest: ReadonlyMap<string, number> },
  maxDocBytes: number,
): Promise<{ training: TrainingCsvWriter; test: TrainingCsvWriter }> {
  // Per label to move: the hash at or below which its documents go, found from the labels' own hashes.
  const cutoffs = new Map<string, { hash: number; left: number }>();
  if (plan.toTest.size > 0) {
    const hashes = new Map<string, number[]>();
    for await (const { label, text } of comprehendRecords(trainingPath)) {
      if (!plan.toTest.has(label)) continue;
      const list = hashes.get(label) ?? [];
      list.push(textHash(text));
      hashes.set(label, list);
    }
    for (const [label, list] of hashes) {
      list.sort((a, b) => a - b);
      const wanted = plan.toTest.get(label) as number;
      cutoffs.set(label, { hash: list[wanted - 1] as number, left: wanted });
    }
  }
  const options = { maxDocBytes };
  const training = new TrainingCsvWriter(`${trainingPath}.rewriting`, options);
  const test = new TrainingCsvWriter(`${testPath}.rewriting`, options);
  for await (const { label, text } of comprehendRecords(testPath)) {
    if (!plan.dropped.has(label)) test.add(label, text);
  }
  // Pass one moves documents to the test file; pass two keeps every copy of a moved text out of training,
  // whatever its label, so no text is on both sides.
  const moved = new Set<string>();
  const kept = `${trainingPath}.kept`;
  const keptWriter = new TrainingCsvWriter(kept, options);
  for await (const { label, text } of comprehendRecords(trainingPath)) {
    if (plan.dropped.has(label)) continue;
    const cutoff = cutoffs.get(label);
    if (
      cutoff &&
      textHash(text) <= cutoff.hash &&
      (cutoff.left > 0 || moved.has(textKey(text, maxDocBytes)))
    ) {
      cutoff.left = Math.max(0, cutoff.left - 1);
      moved.add(textKey(text, maxDocBytes));
      test.add(label, text);
    } else {
      keptWriter.add(label, text);
    }
    if (keptWriter.pending + test.pending >= 10_000) await Promise.all([keptWriter.flush(), test.flush()]);
  }
  await keptWriter.close();
  for await (const { label, text } of comprehendRecords(kept)) {
    if (moved.size > 0 && moved.has(textKey(text, maxDocBytes))) continue;
    training.add(label, text);
    if (training.pending >= 10_000) await training.flush();
  }
  await rm(kept, { force: true });
  await Promise.all([training.close(), test.close()]);
  await rename(`${trainingPath}.rewriting`, trainingPath);
  await rename(`${testPath}.rewriting`, testPath);
  return { training, test };
}

export async function buildRetrainingSet(request: RetrainingRequest): Promise<RetrainingReport> {
  const started = performance.now();
  const { settings, outDir } = request;
  const limits = { ...COMPREHEND_LIMITS, ...request.limits };
  const corrections = await collectCorrections(request);
  const trainingPath = join(outDir, TICKETS_FILE);
  const testPath = join(outDir, TEST_SET_DIR, TEST_SET_FILE);
  await mkdir(dirname(testPath), { recursive: true });
  const options = { maxDocBytes: settings.maxDocBytes };
  let training = new TrainingCsvWriter(trainingPath, options);
  let test = new TrainingCsvWriter(testPath, options);
  const baseLabels = new Set<string>();
  const testKeys = new Set<string>();
  let relabelled = 0;
  let confirmed = 0;
  let baseTraining = 0;
  let baseTest = 0;
  /** A served document's label after its correction, counting what the correction did. */
  const labelOf = (label: string, key: string): string => {
    baseLabels.add(label);
    const correction = corrections.get(key);
    if (!correction) return label;
    if (!correction.used) {
      correction.used = true;
      if (correction.label === label) confirmed++;
      else relabelled++;
    }
    return correction.label;
  };
  try {
    if (request.testFile) {
      for await (const { label, text } of comprehendRecords(request.testFile)) {
        const key = textKey(text, settings.maxDocBytes);
        testKeys.add(key);
        test.add(labelOf(label, key), text);
        baseTest++;
      }
    }
    for (const file of request.trainingFiles) {
      for await (const { label, text } of comprehendRecords(file)) {
        baseTraining++;
        const key = textKey(text, settings.maxDocBytes);
        // A text held out for testing never trains, whichever label an older copy of it carried.
        if (testKeys.has(key)) continue;
        training.add(labelOf(label, key), text);
        if (training.pending >= 10_000) await training.flush();
      }
    }
    let addedToTraining = 0;
    let addedToTest = 0;
    for (const correction of corrections.values()) {
      if (correction.used) continue;
      if (isTestShare(correction.text, settings.testShare)) {
        test.add(correction.label, correction.text);
        addedToTest++;
      } else {
        training.add(correction.label, correction.text);
        addedToTraining++;
      }
    }
    await Promise.all([training.close(), test.close()]);

    // Every trained label needs test documents (Comprehend refuses a test file without one), and enough
    // training documents once they are held out; a label short of either is left out, as in the first ETL.
    const trainingCounts = training.stats.labels;
    const testCounts = test.stats.labels;
    const labels = new Set([...trainingCounts.keys(), ...testCounts.keys()]);
    const toTest = new Map<string, number>();
    const leftOut: { label: string; documents: number; reason: string }[] = [];
    for (const label of labels) {
      const inTraining = trainingCounts.get(label) ?? 0;
      const inTest = testCounts.get(label) ?? 0;
      const moving = inTest === 0 ? testDocumentsFor(inTraining, settings.testShare || 0.1) : 0;
      if (inTraining - moving >= settings.minDocsPerLabel) {
        if (moving > 0) toTest.set(label, moving);
        continue;
      }
      leftOut.push({
        label,
        documents: inTraining + inTest,
        reason: `fewer than ${settings.minDocsPerLabel} training documents${moving > 0 ? ` once ${moving} are held out for the test set` : ""} (Comprehend's per-class minimum)`,
      });
    }
    leftOut.sort((a, b) => a.label.localeCompare(b.label));
    const kept = new Map([...trainingCounts].filter(([label]) => !leftOut.some((l) => l.label === label)));
    checkLabels(kept, leftOut, settings.minDocsPerLabel, limits);
    if (toTest.size > 0 || leftOut.length > 0) {
      ({ training, test } = await rewrite(
        trainingPath,
        testPath,
        { dropped: new Set(leftOut.map((l) => l.label)), toTest },
        settings.maxDocBytes,
      ));
    }
    const labelCounts = Object.fromEntries([...training.stats.labels].sort(([a], [b]) => a.localeCompare(b)));
    const documentCount = training.stats.documents;
    const bytes = (await stat(trainingPath)).size;
    if (documentCount > limits.maxDocuments) {
      throw new InputError(
        `${documentCount} documents exceed Comprehend's limit of ${limits.maxDocuments} per classifier`,
      );
    }
    if (bytes > limits.maxTrainingBytes) {
      throw new InputError(
        `the training data is ${bytes} bytes, over Comprehend's limit of ${limits.maxTrainingBytes} bytes`,
      );
    }
    return {
      input: { name: "retraining", kind: "csv", bytes },
      settings: { min_docs_per_label: settings.minDocsPerLabel, max_doc_bytes: settings.maxDocBytes },
      label_counts: labelCounts,
      label_count: Object.keys(labelCounts).length,
      document_count: documentCount,
      test_set: {
        file: `${TEST_SET_DIR}/${TEST_SET_FILE}`,
        share: settings.testShare,
        documents: test.stats.documents,
        bytes: (await stat(testPath)).size,
        label_counts: Object.fromEntries([...test.stats.labels].sort(([a], [b]) => a.localeCompare(b))),
      },
      left_out_labels: leftOut,
      dropped: {
        empty: training.stats.emptyDropped + test.stats.emptyDropped,
        no_label: 0,
        null_text: 0,
        left_out_label_documents: leftOut.reduce((sum, l) => sum + l.documents, 0),
      },
      warnings: [],
      cut: { documents: training.stats.cut + test.stats.cut, max_doc_bytes: settings.maxDocBytes },
      document_bytes: {
        mean: documentCount === 0 ? 0 : Math.round(training.stats.textBytes / documentCount),
      },
      ignored_entries: [],
      output: {
        files: [{ name: TICKETS_FILE, bytes, documents: documentCount }],
        bytes,
        decompressed_bytes: bytes,
      },
      timing_ms: { total: Math.round(performance.now() - started) },
      retraining: {
        served_classifier_arn: request.served.classifier_arn,
        version_of: request.served.classifier_name,
        base_run_id: request.served.run_id,
        base_training_documents: baseTraining,
        base_test_documents: baseTest,
        corrections: corrections.size,
        relabelled,
        confirmed,
        added_to_training: addedToTraining,
        added_to_test: addedToTest,
        new_labels: [...labels].filter((label) => !baseLabels.has(label) && kept.has(label)).sort(),
        moved_from_training: [...toTest.values()].reduce((sum, n) => sum + n, 0),
      },
    };
  } catch (error) {
    training.destroy();
    test.destroy();
    await rm(`${trainingPath}.rewriting`, { force: true });
    await rm(`${testPath}.rewriting`, { force: true });
    throw error;
  }
}
