/**
 * Turns raw issue text into Comprehend multi-class training records (`label,text`, one per line, RFC 4180
 * quoting, UTF-8) and keeps the counts the report needs.
 *
 * Documents are handled as UTF-8 bytes, straight from SQLite to the file: normalising JavaScript strings with
 * a regex and csv-stringify cost more CPU than the whole SQLite scan, and decoding to UTF-16 only to encode
 * back to UTF-8 is wasted work. `normalizeText` states the rule on strings; the byte path is tested against
 * it for every code point.
 */

import { isUtf8 } from "node:buffer";
import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";

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

/** Labels are single-line text; Comprehend rejects control characters in class names. */
export function normalizeLabel(label: string): string {
  return normalizeText(label);
}

const SPACE = 0x20;
const QUOTE = 0x22;
const COMMA = 0x2c;
const NEWLINE = 0x0a;

/** What the writer needs to know of a document's CSV field besides its length. */
export interface FieldFacts {
  /** Double quotes in the text (each is doubled in the field). */
  quotes: number;
  /** Commas in the text (any one forces quoting). */
  commas: number;
}

/** Byte classes for the normaliser's dispatch: one table load decides the common case. */
const PLAIN = 0;
const ASCII_SPACE = 1;
const QUOTE_BYTE = 2;
const COMMA_BYTE = 3;
const MULTI_BYTE = 4;
const BYTE_CLASS = (() => {
  const table = new Uint8Array(256);
  for (let b = 0; b < 256; b++) {
    if (b <= SPACE || b === 0x7f)
      table[b] = ASCII_SPACE; // C0 controls, space, DEL
    else if (b === QUOTE) table[b] = QUOTE_BYTE;
    else if (b === COMMA) table[b] = COMMA_BYTE;
    else if (b >= 0x80) table[b] = MULTI_BYTE;
  }
  return table;
})();

/**
 * `normalizeText` on UTF-8 bytes: writes the normalised text of `src` (valid UTF-8) into `dst`, returns its
 * length and counts quotes and commas into `facts`. Stops once the text is known to be longer than `limit`
 * bytes (the caller cuts, and recounts), so `dst` needs `limit + 5` bytes.
 */
export function normalizeUtf8(src: Uint8Array, dst: Uint8Array, limit: number, facts: FieldFacts): number {
  const length = src.length;
  let n = 0;
  let i = 0;
  let quotes = 0;
  let commas = 0;
  // A whitespace run is written as one space, unless the text so far is empty or already ends in one; the
  // output ends in a space only while a run is open, since no other character encodes to byte 0x20.
  while (i < length) {
    const b = src[i] as number;
    const kind = BYTE_CLASS[b] as number;
    if (kind === PLAIN) {
      dst[n++] = b;
      i++;
      if (n > limit) break;
      continue;
    }
    if (kind === ASCII_SPACE) {
      if (n > 0 && dst[n - 1] !== SPACE) dst[n++] = SPACE;
      i++;
      continue;
    }
    if (kind !== MULTI_BYTE) {
      if (kind === QUOTE_BYTE) quotes++;
      else commas++;
      dst[n++] = b;
      i++;
      if (n > limit) break;
      continue;
    }
    let size: number;
    let whitespace = false;
    if (b < 0xe0) {
      size = 2;
      // U+0080-U+009F (C1 controls) and U+00A0 (no-break space)
      whitespace = b === 0xc2 && (src[i + 1] as number) <= 0xa0;
    } else if (b < 0xf0) {
      size = 3;
      if (b === 0xe1 || b === 0xe2 || b === 0xe3 || b === 0xef) {
        const c1 = src[i + 1] as number;
        const c2 = src[i + 2] as number;
        whitespace =
          (b === 0xe2 && c1 === 0x80 && (c2 <= 0x8a || c2 === 0xa8 || c2 === 0xa9 || c2 === 0xaf)) || // U+2000-U+200A, U+2028, U+2029, U+202F
          (b === 0xe2 && c1 === 0x81 && c2 === 0x9f) || // U+205F
          (b === 0xe1 && c1 === 0x9a && c2 === 0x80) || // U+1680
          (b === 0xe3 && c1 === 0x80 && c2 === 0x80) || // U+3000
          (b === 0xef && c1 === 0xbb && c2 === 0xbf); // U+FEFF
      }
    } else {
      size = 4;
    }
    if (whitespace) {
      if (n > 0 && dst[n - 1] !== SPACE) dst[n++] = SPACE;
      i += size;
      continue;
    }
    for (const end = Math.min(i + size, length); i < end; i++) dst[n++] = src[i] as number;
    if (n > limit) break;
  }
  facts.quotes = quotes;
  facts.commas = commas;
  // A run at the end is trailing whitespace. After a break, the last byte is a character, never the space.
  return n > 0 && dst[n - 1] === SPACE ? n - 1 : n;
}

/** Where to cut normalised text of `length` > `limit` bytes: a character boundary, without a trailing space. */
export function cutPoint(text: Uint8Array, limit: number): number {
  let end = limit;
  // Step back over continuation bytes (10xxxxxx) to the start of the character that does not fit.
  while (end > 0 && ((text[end] as number) & 0xc0) === 0x80) end--;
  while (end > 0 && text[end - 1] === SPACE) end--;
  return end;
}

/** Recounts quotes and commas in the first `length` bytes (after a cut dropped some). */
function countFieldFacts(text: Uint8Array, length: number, facts: FieldFacts): void {
  let quotes = 0;
  let commas = 0;
  for (let i = 0; i < length; i++) {
    const b = text[i] as number;
    if (b === QUOTE) quotes++;
    else if (b === COMMA) commas++;
  }
  facts.quotes = quotes;
  facts.commas = commas;
}

export interface WriterStats {
  documents: number;
  bytes: number;
  /** UTF-8 bytes of the documents' text alone (no label, quotes or line ends). */
  textBytes: number;
  emptyDropped: number;
  cut: number;
  readonly labels: Map<string, number>;
}

const CHUNK_BYTES = 1024 * 1024;

/** Writes training records to one CSV file, encoding them into large buffers written in batches. */
export class TrainingCsvWriter {
  readonly stats: WriterStats = {
    documents: 0,
    bytes: 0,
    textBytes: 0,
    emptyDropped: 0,
    cut: 0,
    labels: new Map(),
  };
  private readonly stream: WriteStream;
  private text = new Uint8Array(4096);
  private readonly facts: FieldFacts = { quotes: 0, commas: 0 };
  private readonly labelFields = new Map<string, Uint8Array>();
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  private full: Buffer[] = [];
  private records = 0;

  constructor(
    readonly path: string,
    private readonly options: DocumentOptions,
  ) {
    this.stream = createWriteStream(path);
  }

  /** Adds one document; returns false when it was empty after normalising (and so dropped). */
  add(label: string, rawText: string): boolean {
    return this.addDocument(label, Buffer.from(rawText, "utf8"));
  }

  /**
   * Adds one document given as UTF-8 bytes (SQLite's own encoding of TEXT). Bytes that are not valid UTF-8 are
   * decoded with replacement characters first, as a JavaScript string would be.
   */
  addUtf8(label: string, rawText: Uint8Array): boolean {
    const valid = isUtf8(rawText) ? rawText : Buffer.from(new TextDecoder().decode(rawText), "utf8");
    return this.addDocument(label, valid);
  }

  private addDocument(label: string, utf8: Uint8Array): boolean {
    const { maxDocBytes } = this.options;
    // Normalising never lengthens text, and stops a few bytes past the limit: the scratch grows to fit.
    const needed = Math.min(utf8.length, maxDocBytes) + 8;
    if (this.text.length < needed)
      this.text = new Uint8Array(Math.max(needed, Math.min(2 * this.text.length, maxDocBytes + 8)));
    const text = this.text;
    const facts = this.facts;
    let length = normalizeUtf8(utf8, text, maxDocBytes, facts);
    if (length > maxDocBytes) {
      length = cutPoint(text, maxDocBytes);
      countFieldFacts(text, length, facts);
      this.stats.cut++;
    }
    if (length === 0) {
      this.stats.emptyDropped++;
      return false;
    }
    const labelField = this.labelField(label);
    const { quotes } = facts;
    const quoted = quotes > 0 || facts.commas > 0;
    const size = labelField.length + length + quotes + (quoted ? 2 : 0) + 1;
    if (this.used + size > this.chunk.length) this.rotate(size);
    const out = this.chunk;
    let at = this.used;
    out.set(labelField, at);
    at += labelField.length;
    if (quoted) out[at++] = QUOTE;
    if (quotes === 0) {
      out.set(text.subarray(0, length), at);
      at += length;
    } else {
      // RFC 4180: a quote inside a quoted field is doubled.
      const field = text.subarray(0, length);
      let from = 0;
      for (let quote = field.indexOf(QUOTE); quote >= 0; quote = field.indexOf(QUOTE, from)) {
        out.set(field.subarray(from, quote + 1), at);
        at += quote + 1 - from;
        out[at++] = QUOTE;
        from = quote + 1;
      }
      out.set(field.subarray(from), at);
      at += length - from;
    }
    if (quoted) out[at++] = QUOTE;
    out[at++] = NEWLINE;
    this.used = at;
    this.records++;
    this.stats.bytes += size;
    this.stats.textBytes += length;
    this.stats.documents++;
    this.stats.labels.set(label, (this.stats.labels.get(label) ?? 0) + 1);
    return true;
  }

  /** `label,` as a CSV field, encoded once per label. */
  private labelField(label: string): Uint8Array {
    let field = this.labelFields.get(label);
    if (field === undefined) {
      const needsQuotes = /[",\r\n]/.test(label);
      const value = needsQuotes ? `"${label.replaceAll('"', '""')}"` : label;
      field = Buffer.from(`${value},`, "utf8");
      this.labelFields.set(label, field);
    }
    return field;
  }

  /** Queues the filled part of the chunk for writing and starts a new one with room for `size` bytes. */
  private rotate(size: number): void {
    if (this.used === 0 && this.chunk.length >= size) return;
    if (this.used > 0) this.full.push(this.chunk.subarray(0, this.used));
    this.chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, size));
    this.used = 0;
  }

  /** Writes the buffered records; awaits the file stream's backpressure so memory stays bounded. */
  async flush(): Promise<void> {
    if (this.used > 0) this.rotate(0);
    const ready = this.full;
    this.full = [];
    this.records = 0;
    for (const buffer of ready) {
      if (!this.stream.write(buffer)) await once(this.stream, "drain");
    }
  }

  /** Records added since the last flush. */
  get pending(): number {
    return this.records;
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
