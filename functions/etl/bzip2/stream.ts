/**
 * Block-parallel bzip2 decompression of a stream: the main thread finds block boundaries by their magic and
 * sends each block to a worker thread; decoded blocks are written in order. Memory stays bounded by the number
 * of blocks in flight (each at most ~1 MB compressed), whatever the size of the stream.
 */
import { existsSync } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { Worker } from "node:worker_threads";
import { BLOCK_MAGIC_HI, BLOCK_MAGIC_LO, combineCrc, EOS_MAGIC_HI, EOS_MAGIC_LO } from "./block-decoder";
import { type BlockJob, type BlockResult, decodeJob } from "./job";

/** The compressed data is not a valid bzip2 stream (bad header, damaged or truncated block, wrong CRC). */
export class Bzip2DataError extends Error {
  override readonly name = "Bzip2DataError";
}

/** Decodes block jobs on worker threads, or inline when there is a single core (or none are wanted). */
export class BlockDecodePool {
  private readonly workers: { worker: Worker; busy: number }[] = [];
  private readonly pending = new Map<
    number,
    { resolve: (r: BlockResult) => void; reject: (e: Error) => void }
  >();
  private failure: Error | undefined;

  constructor(readonly size: number = defaultWorkerCount()) {
    if (size <= 0) return;
    const { file, execArgv } = workerScript();
    for (let i = 0; i < size; i++) {
      const worker = new Worker(file, { execArgv });
      const slot = { worker, busy: 0 };
      worker.on("message", (result: BlockResult) => {
        slot.busy--;
        if (slot.busy === 0) worker.unref();
        const waiter = this.pending.get(result.id);
        this.pending.delete(result.id);
        waiter?.resolve(result);
      });
      worker.on("error", (error) => this.fail(error));
      worker.on("exit", (code) => {
        if (code !== 0) this.fail(new Error(`bzip2 worker exited with code ${code}`));
      });
      worker.unref();
      this.workers.push(slot);
    }
  }

  decode(job: BlockJob): Promise<BlockResult> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.workers.length === 0) return Promise.resolve(decodeJob(job));
    let slot = this.workers[0] as { worker: Worker; busy: number };
    for (const candidate of this.workers) if (candidate.busy < slot.busy) slot = candidate;
    slot.busy++;
    // A worker with work keeps the process alive; idle ones must not keep the CLI or a test process running.
    slot.worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(job.id, { resolve, reject });
      slot.worker.postMessage(job, [job.bytes.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    const workers = this.workers.splice(0);
    await Promise.all(workers.map(({ worker }) => worker.terminate()));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}

export function defaultWorkerCount(): number {
  return Math.max(1, availableParallelism());
}

/**
 * The worker sits next to this module: `bunzip.worker.mjs` beside the bundle in dist/ (the build banner gives
 * the ESM bundle a `require` bound to its own URL), or the TypeScript source under tsx and jest, which the
 * worker loads through tsx's CommonJS hook.
 */
function workerScript(): { file: string; execArgv: string[] | undefined } {
  const bundled = typeof __dirname === "string" ? join(__dirname, "bunzip.worker.mjs") : bundleSibling();
  if (existsSync(bundled)) return { file: bundled, execArgv: undefined };
  const source = join(dirname(bundled), "bunzip.worker.ts");
  return { file: source, execArgv: ["--require", require.resolve("tsx/cjs")] };
}

function bundleSibling(): string {
  return require.resolve("./bunzip.worker.mjs");
}

interface Segment {
  startBit: number;
  endBit: number;
  kind: "block" | "eos" | "end";
  result?: Promise<BlockResult>;
}

export interface BunzipProgress {
  readonly compressedBytes: number;
  readonly decompressedBytes: number;
}

const MAGIC = [
  { hi: BLOCK_MAGIC_HI, lo: BLOCK_MAGIC_LO, kind: "block" as const },
  { hi: EOS_MAGIC_HI, lo: EOS_MAGIC_LO, kind: "eos" as const },
];
/** Largest compressed block we accept while merging around false boundaries; real blocks stay near 1 MB. */
const MAX_SEGMENT_BITS = 8 * 4 * 1024 * 1024;
/** Level 9 blocks; lower levels have smaller blocks, so this bound holds for every stream. */
const MAX_BLOCK_SIZE = 900000;

/**
 * Per byte value, which (magic, shift) pairs are possible given the bytes 1..4 after a candidate start byte:
 * a 16-bit mask, bit (kind * 8 + shift). Four table lookups reject almost every position.
 */
const FILTERS = buildFilters();

function buildFilters(): Uint16Array[] {
  const tables = [1, 2, 3, 4].map(() => new Uint16Array(256));
  MAGIC.forEach(({ hi, lo }, kind) => {
    const magic = hi * 2 ** 32 + (lo >>> 0);
    for (let shift = 0; shift < 8; shift++) {
      tables.forEach((table, k) => {
        // Byte (k + 1) after the start byte holds magic bits [8(k+1) - shift, 8(k+2) - shift).
        const from = 8 * (k + 1) - shift;
        const value = Math.floor(magic / 2 ** (48 - from - 8)) % 256;
        table[value] = (table[value] as number) | (1 << (kind * 8 + shift));
      });
    }
  });
  return tables;
}

/**
 * The first start byte in [from, to) whose next four bytes can belong to a block or end-of-stream magic at some
 * bit shift, or -1. The hot loop of the scan: one table lookup rejects about 94% of positions.
 */
function findCandidate(buf: Uint8Array, from: number, to: number): number {
  const t1 = FILTERS[0] as Uint16Array;
  for (let at = from; at < to; at++) {
    if ((t1[buf[at + 1] as number] as number) !== 0 && candidateMask(buf, at) !== 0) return at;
  }
  return -1;
}

/** Bit (kind * 8 + shift) is set when bytes at+1..at+4 match that magic at that shift. */
function candidateMask(buf: Uint8Array, at: number): number {
  const [t1, t2, t3, t4] = FILTERS as [Uint16Array, Uint16Array, Uint16Array, Uint16Array];
  return (
    (t1[buf[at + 1] as number] as number) &
    (t2[buf[at + 2] as number] as number) &
    (t3[buf[at + 3] as number] as number) &
    (t4[buf[at + 4] as number] as number)
  );
}

function readBits(buf: Uint8Array, bit: number, n: number): number {
  let value = 0;
  for (let i = 0; i < n; i++) {
    const b = bit + i;
    value = value * 2 + (((buf[b >>> 3] ?? 0) >>> (7 - (b & 7))) & 1);
  }
  return value;
}

/**
 * Decompresses a bzip2 stream (or several concatenated, as pbzip2 writes) from `input` into `out`.
 * Throws Bzip2DataError for data that is not bzip2 or is damaged.
 */
export async function bunzipToFile(
  input: AsyncIterable<Uint8Array>,
  out: FileHandle,
  pool: BlockDecodePool,
  onProgress?: (progress: BunzipProgress) => void,
): Promise<{ compressedBytes: number; decompressedBytes: number }> {
  // Enough queued blocks that the workers never wait while the main thread exports the previous member.
  const maxInFlight = Math.max(4, pool.size * 8);
  let buf = new Uint8Array(4 * 1024 * 1024);
  let baseByte = 0; // absolute offset of buf[0]
  let length = 0; // valid bytes in buf
  let scannedTo = 0; // absolute byte: candidate starts below this were scanned
  let ended = false;
  let headerChecked = false;
  // Unsettled decodes only: settled ones hold their output and must be released.
  const inFlight = new Set<Promise<BlockResult>>();
  let nextId = 0;
  let verifiedBit = 32; // where the next block or end-of-stream marker must start
  let streamCrc = 0;
  let decompressedBytes = 0;
  let done = false;
  const segments: Segment[] = [];
  let openStart: { bit: number; kind: "block" | "eos" } | undefined;

  const append = (chunk: Uint8Array): void => {
    if (length + chunk.length > buf.length) {
      // Drop what is already verified; only the unsettled tail is needed for slicing and merging.
      const keepFrom = Math.min(length, Math.max(0, Math.floor(verifiedBit / 8) - baseByte));
      const live = length - keepFrom;
      if (live + chunk.length > buf.length) {
        const bigger = new Uint8Array(Math.max(buf.length * 2, live + chunk.length));
        bigger.set(buf.subarray(keepFrom, length));
        buf = bigger;
      } else {
        buf.copyWithin(0, keepFrom, length);
      }
      baseByte += keepFrom;
      length = live;
    }
    buf.set(chunk, length);
    length += chunk.length;
  };

  const slice = (startBit: number, endBit: number): { bytes: Uint8Array; offset: number } => {
    const first = Math.floor(startBit / 8);
    const last = Math.ceil(endBit / 8);
    const bytes = new Uint8Array(last - first + 16);
    bytes.set(buf.subarray(first - baseByte, Math.min(last - baseByte, length)));
    return { bytes, offset: first * 8 };
  };

  const dispatch = (segment: Segment): void => {
    if (segment.kind !== "block") return;
    const { bytes, offset } = slice(segment.startBit, segment.endBit);
    const result = pool.decode({
      id: nextId++,
      bytes,
      startBit: segment.startBit - offset,
      endBit: segment.endBit - offset,
      maxBlockSize: MAX_BLOCK_SIZE,
    });
    inFlight.add(result);
    const forget = () => inFlight.delete(result);
    result.then(forget, forget);
    segment.result = result;
  };

  /**
   * Starts decoding found blocks in stream order while fewer than maxInFlight are decoding or decoded but not
   * yet written: one read can hold dozens of small blocks, and each decoded block holds up to 900 kB.
   */
  const pump = (): void => {
    let busy = 0;
    for (const segment of segments) {
      if (segment.kind !== "block") continue;
      if (segment.result === undefined) {
        if (busy >= maxInFlight) return;
        dispatch(segment);
      }
      busy++;
    }
  };

  const addCandidate = (bit: number, kind: "block" | "eos" | "end"): void => {
    if (bit < verifiedBit) return;
    // Found segments are only bit ranges; pump() starts their decoding within the in-flight bound.
    if (openStart) segments.push({ startBit: openStart.bit, endBit: bit, kind: openStart.kind });
    openStart = kind === "end" ? undefined : { bit, kind };
    if (kind === "end") segments.push({ startBit: bit, endBit: bit, kind: "end" });
  };

  const scan = (limitByte: number): void => {
    const base = baseByte;
    const bytes = buf;
    for (let at = findCandidate(bytes, scannedTo - base, limitByte - base); at >= 0; ) {
      const mask = candidateMask(bytes, at);
      for (let shift = 0; shift < 8; shift++) {
        for (let kind = 0; kind < 2; kind++) {
          if (!(mask & (1 << (kind * 8 + shift)))) continue;
          const local = at * 8 + shift;
          const magic = MAGIC[kind] as (typeof MAGIC)[number];
          if (readBits(bytes, local, 16) === magic.hi && readBits(bytes, local + 16, 32) === magic.lo >>> 0) {
            addCandidate((base + at) * 8 + shift, magic.kind);
          }
        }
      }
      at = findCandidate(bytes, at + 1, limitByte - base);
    }
    scannedTo = Math.max(scannedTo, limitByte);
  };

  const checkHeader = (at: number): number | undefined => {
    const local = at - baseByte;
    if (at + 4 > baseByte + length) return undefined;
    const [b, z, h, digit] = [buf[local], buf[local + 1], buf[local + 2], buf[local + 3]] as number[];
    if (b !== 0x42 || z !== 0x5a || h !== 0x68 || (digit as number) < 0x31 || (digit as number) > 0x39) {
      return undefined;
    }
    return (digit as number) - 0x30;
  };

  /** Settles the head segment; returns false when it needs more input first. */
  const settleHead = async (): Promise<boolean> => {
    const head = segments[0];
    if (!head) return false;
    if (head.startBit !== verifiedBit) {
      throw new Bzip2DataError(`unexpected data at bit ${verifiedBit} of the bzip2 stream`);
    }
    if (head.kind === "end") {
      throw new Bzip2DataError("bzip2 stream is truncated (no end-of-stream marker)");
    }
    if (head.kind === "eos") {
      const next = segments[1];
      if (!next && !ended) return false;
      const storedCrc = readBits(buf, head.startBit - baseByte * 8 + 48, 32);
      if (storedCrc !== streamCrc) throw new Bzip2DataError("bzip2 stream CRC mismatch");
      const nextByte = Math.ceil((head.startBit + 80) / 8);
      // Another stream may follow (pbzip2 and `cat a.bz2 b.bz2` write several); anything else is ignored,
      // as bzip2 itself ignores trailing garbage.
      const nextLevel = next && next.kind !== "end" ? checkHeader(nextByte) : undefined;
      if (next && nextLevel !== undefined && head.endBit === nextByte * 8 + 32) {
        streamCrc = 0;
        verifiedBit = head.endBit;
        segments.shift();
        return true;
      }
      done = true;
      segments.length = 0;
      return true;
    }
    const result = await (head.result as Promise<BlockResult>);
    if (result.ok) {
      const offset = Math.floor(head.startBit / 8) * 8;
      if (result.endBit + offset !== head.endBit) {
        throw new Bzip2DataError(
          `bzip2 stream is truncated or has stray data after the block at bit ${head.startBit}`,
        );
      }
      streamCrc = combineCrc(streamCrc, result.storedCrc);
      await writeAll(out, result.data);
      decompressedBytes += result.data.length;
      verifiedBit = head.endBit;
      segments.shift();
      return true;
    }
    if (!result.truncated) throw new Bzip2DataError(`${result.message} (block at bit ${head.startBit})`);
    // The segment ended at a false boundary (the magic occurred inside the block's data): merge with the next.
    const next = segments[1];
    if (!next || next.kind === "end") {
      if (!ended || next === undefined) return false;
      throw new Bzip2DataError(`bzip2 stream is truncated (${result.message})`);
    }
    if (next.endBit - head.startBit > MAX_SEGMENT_BITS) {
      throw new Bzip2DataError(`damaged bzip2 block at bit ${head.startBit} (${result.message})`);
    }
    segments.splice(0, 2, { startBit: head.startBit, endBit: next.endBit, kind: "block" });
    dispatch(segments[0] as Segment);
    return true;
  };

  let compressedBytes = 0;
  for await (const chunk of input) {
    compressedBytes += chunk.length;
    append(chunk);
    if (!headerChecked && baseByte + length >= 4) {
      const headerLevel = checkHeader(0);
      if (headerLevel === undefined) throw new Bzip2DataError("not bzip2 data (no BZh header)");
      headerChecked = true;
    }
    if (done) continue;
    // A magic may straddle chunks: scan only starts whose 7 bytes are all here.
    scan(baseByte + length - 7);
    pump();
    // Bound the decoded-but-unwritten blocks, not only the running decodes: both hold memory.
    while (!done && segments.length >= maxInFlight) {
      if (!(await settleHead())) break;
      pump();
    }
    onProgress?.({ compressedBytes, decompressedBytes });
  }
  ended = true;
  if (!headerChecked) throw new Bzip2DataError("not bzip2 data (too short)");
  scan(baseByte + length - 6);
  addCandidate(Math.max((baseByte + length) * 8, verifiedBit), "end");
  while (!done) {
    pump();
    if (!(await settleHead())) throw new Bzip2DataError("bzip2 stream is truncated");
    onProgress?.({ compressedBytes, decompressedBytes });
  }
  await Promise.allSettled([...inFlight]);
  return { compressedBytes, decompressedBytes };
}

async function writeAll(out: FileHandle, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await out.write(data, offset, data.length - offset);
    offset += bytesWritten;
  }
}
