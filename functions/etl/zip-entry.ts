/**
 * Reads one zip member's data. node-stream-zip parses the central directory (names, sizes, offsets, zip64);
 * the data itself is read here in 1 MiB reads and checked with zlib's native CRC-32: node-stream-zip's own
 * entry stream reads 16 KiB at a time and computes the CRC in JavaScript, which on a 378 MB dataset costs
 * seconds of the main thread that the SQLite export needs.
 */
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { crc32, createInflateRaw } from "node:zlib";
import type StreamZip from "node-stream-zip";
import { InputError } from "./errors";

/** The member's bytes do not match its directory entry (bad local header, wrong size or CRC). */
export class ZipDataError extends Error {
  override readonly name = "ZipDataError";
}

const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const LOCAL_HEADER_BYTES = 30;
const STORED = 0;
const DEFLATED = 8;
const READ_BYTES = 1024 * 1024;

/** Where the member's data starts: after its local header, whose name and extra field lengths may differ from the central directory's. */
async function dataOffset(zipPath: string, entry: StreamZip.ZipEntry): Promise<number> {
  const file = await open(zipPath, "r");
  try {
    const header = Buffer.alloc(LOCAL_HEADER_BYTES);
    const { bytesRead } = await file.read(header, 0, LOCAL_HEADER_BYTES, entry.offset);
    if (bytesRead < LOCAL_HEADER_BYTES || header.readUInt32LE(0) !== LOCAL_HEADER_SIGNATURE) {
      throw new ZipDataError("invalid local header");
    }
    return entry.offset + LOCAL_HEADER_BYTES + header.readUInt16LE(26) + header.readUInt16LE(28);
  } finally {
    await file.close();
  }
}

/** The member's uncompressed bytes; throws ZipDataError at the end if they are not what the directory says. */
export async function* readZipEntry(zipPath: string, entry: StreamZip.ZipEntry): AsyncGenerator<Uint8Array> {
  if (entry.method !== STORED && entry.method !== DEFLATED) {
    throw new InputError(
      `zip member ${entry.name} uses compression method ${entry.method}; only stored and deflated members can be read`,
    );
  }
  const start = await dataOffset(zipPath, entry);
  const raw = createReadStream(zipPath, {
    start,
    end: start + entry.compressedSize - 1,
    highWaterMark: READ_BYTES,
  });
  let source: AsyncIterable<Buffer> = raw;
  if (entry.method === DEFLATED) {
    const inflate = createInflateRaw({ chunkSize: READ_BYTES });
    raw.on("error", (error) => inflate.destroy(error));
    source = raw.pipe(inflate);
  }
  let crc = 0;
  let size = 0;
  try {
    for await (const chunk of source) {
      crc = crc32(chunk, crc);
      size += chunk.length;
      if (size > entry.size) throw new ZipDataError("invalid size: more data than the directory says");
      yield chunk;
    }
  } finally {
    raw.destroy();
  }
  if (size !== entry.size) throw new ZipDataError(`invalid size: ${size} of ${entry.size} bytes`);
  if (crc !== entry.crc) throw new ZipDataError("invalid CRC");
}
