/**
 * Ticket exports in the encodings people's tools write: UTF-8 (with or without a byte order mark), UTF-16 with
 * a byte order mark (Excel's "Unicode Text"), and Windows-1252 (Excel's "CSV" on a Western European Windows).
 * Anything but UTF-8 is converted, and the report says so: a re-save is not needed.
 */

import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { open } from "node:fs/promises";

export type ExportEncoding = "utf-8" | "utf-16le" | "utf-16be" | "windows-1252";

const BOMS: readonly { bytes: readonly number[]; encoding: ExportEncoding }[] = [
  { bytes: [0xef, 0xbb, 0xbf], encoding: "utf-8" },
  { bytes: [0xff, 0xfe], encoding: "utf-16le" },
  { bytes: [0xfe, 0xff], encoding: "utf-16be" },
];

/** The encoding a byte order mark declares, if the text starts with one. */
export function encodingByBom(head: Uint8Array): ExportEncoding | undefined {
  return BOMS.find(({ bytes }) => bytes.every((byte, i) => head[i] === byte))?.encoding;
}

/** Whether every byte of the file is valid UTF-8 (read in chunks: the whole file, not a sample). */
async function isUtf8File(path: string): Promise<boolean> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      decoder.decode(chunk as Buffer, { stream: true });
    }
    decoder.decode();
    return true;
  } catch {
    return false;
  }
}

/**
 * The encoding of a text export: its byte order mark's, else UTF-8 when every byte is valid UTF-8, else
 * Windows-1252, which decodes any byte sequence (a text file with NUL bytes and no mark is not text).
 */
export async function detectFileEncoding(path: string): Promise<ExportEncoding | undefined> {
  const handle = await open(path, "r");
  let head: Buffer;
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(64 * 1024), 0, 64 * 1024, 0);
    head = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  const declared = encodingByBom(head);
  if (declared) return declared;
  if (head.includes(0)) return undefined;
  return (await isUtf8File(path)) ? "utf-8" : "windows-1252";
}

/** Writes the export as UTF-8 (no byte order mark) to `target`, decoding it from `encoding`. */
export async function convertToUtf8(source: string, encoding: ExportEncoding, target: string): Promise<void> {
  const decoder = new TextDecoder(encoding);
  const out = createWriteStream(target);
  for await (const chunk of createReadStream(source, { highWaterMark: 1 << 20 })) {
    if (!out.write(decoder.decode(chunk as Buffer, { stream: true }))) await once(out, "drain");
  }
  out.end(decoder.decode());
  await once(out, "finish");
}

/** An export held in memory (the batch path), as text, with the encoding it was read in. */
export function decodeExport(bytes: Uint8Array): { text: string; encoding: ExportEncoding } {
  const encoding = encodingByBom(bytes) ?? (isUtf8(bytes) ? "utf-8" : "windows-1252");
  // TextDecoder drops the byte order mark by default.
  return { text: new TextDecoder(encoding).decode(bytes), encoding };
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** What the report and the email say about a converted export. */
export function conversionWarning(encoding: ExportEncoding): string | undefined {
  if (encoding === "utf-8") return undefined;
  const what =
    encoding === "windows-1252"
      ? 'not UTF-8; it was read as Windows-1252 (what Excel\'s "CSV" writes on Western European Windows) and converted'
      : `${encoding.toUpperCase()} (with a byte order mark, as Excel's "Unicode Text" writes) and was converted`;
  return `the export is ${what}; check the report's labels for misread accents, or export as "CSV UTF-8" next time`;
}
