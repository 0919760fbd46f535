/**
 * Turns raw issue text into Comprehend multi-class training records (`label,text`, one per line, RFC 4180
 * quoting, UTF-8) and keeps the counts the report needs.
 */

import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import { stringify } from "csv-stringify/sync";

export interface DocumentOptions {
  /** Longer documents are cut at a character boundary; Comprehend's real-time ClassifyDocument takes 10,000 bytes. */
  readonly maxDocBytes: number;
}

// Control characters (Unicode category Cc: U+0000-U+001F, U+007F-U+009F) count as whitespace: Comprehend
// wants plain text, and a NUL or form feed carries no meaning. Spelled as ranges: a /u regex is twice as slow.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const WHITESPACE = /[\s\x00-\x1f\x7f-\x9f]+/g;

/** Collapses every whitespace run (newlines, CR, tabs, control characters) to one space and trims. */
export function normalizeText(text: string): string {
  return text.replace(WHITESPACE, " ").trim();
}

/**
 * Cuts `text` to at most `maxBytes` of UTF-8 without splitting a character (a surrogate pair stays whole).
 * Returns the text unchanged when it fits.
 */
export function cutToBytes(text: string, maxBytes: number): string {
  // Every UTF-16 code unit is at most 3 UTF-8 bytes: short strings need no encoding.
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= maxBytes) return text;
  let end = maxBytes;
  // Step back over continuation bytes (10xxxxxx) to the start of the character that does not fit.
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return bytes.toString("utf8", 0, end).trimEnd();
}

/** Labels are single-line text; Comprehend rejects control characters in class names. */
export function normalizeLabel(label: string): string {
  return normalizeText(label);
}

export interface WriterStats {
  documents: number;
  bytes: number;
  emptyDropped: number;
  cut: number;
  readonly labels: Map<string, number>;
}

/**
 * Writes training records to one CSV file. Records are buffered and stringified in batches: csv-stringify per
 * record costs more than the SQLite scan itself.
 */
export class TrainingCsvWriter {
  readonly stats: WriterStats = { documents: 0, bytes: 0, emptyDropped: 0, cut: 0, labels: new Map() };
  private readonly stream: WriteStream;
  private batch: [string, string][] = [];

  constructor(
    readonly path: string,
    private readonly options: DocumentOptions,
  ) {
    this.stream = createWriteStream(path);
  }

  /** Adds one document; returns false when it was empty after normalising (and so dropped). */
  add(label: string, rawText: string): boolean {
    const normalized = normalizeText(rawText);
    if (normalized === "") {
      this.stats.emptyDropped++;
      return false;
    }
    const text = cutToBytes(normalized, this.options.maxDocBytes);
    if (text !== normalized) this.stats.cut++;
    this.batch.push([label, text]);
    this.stats.documents++;
    this.stats.labels.set(label, (this.stats.labels.get(label) ?? 0) + 1);
    return true;
  }

  /** Writes the buffered records; awaits the file stream's backpressure so memory stays bounded. */
  async flush(): Promise<void> {
    if (this.batch.length === 0) return;
    const chunk = stringify(this.batch, { eof: true, record_delimiter: "unix" });
    this.batch = [];
    this.stats.bytes += Buffer.byteLength(chunk);
    if (!this.stream.write(chunk)) await once(this.stream, "drain");
  }

  get pending(): number {
    return this.batch.length;
  }

  async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve, reject) => {
      this.stream.once("error", reject);
      this.stream.end(() => resolve());
    });
  }

  /** Closes the file after a failure without masking the original error. */
  destroy(): void {
    this.stream.destroy();
  }
}
