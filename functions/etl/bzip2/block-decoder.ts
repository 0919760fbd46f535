/**
 * A bzip2 block decoder built for block-parallel decompression: every block of a bzip2 stream is
 * self-contained (its own Huffman tables, BWT and CRC), so a scanner can find block boundaries by their
 * 48-bit magic and hand blocks to worker threads. The decoder works on one block at a bit offset and says
 * exactly where the block ended, which lets the caller verify the scanner's guess of the next boundary
 * (a block's data can contain the magic by chance).
 *
 * The format follows libbzip2 1.0.x (https://sourceware.org/bzip2/): block magic 0x314159265359,
 * end-of-stream magic 0x177245385090, MSB-first bit order, CRC-32/BZIP2.
 */
import { crc32 } from "node:zlib";

export const BLOCK_MAGIC_HI = 0x3141;
export const BLOCK_MAGIC_LO = 0x59265359;
export const EOS_MAGIC_HI = 0x1772;
export const EOS_MAGIC_LO = 0x45385090;

const MAX_GROUPS = 6;
const MIN_GROUPS = 2;
const GROUP_SIZE = 50;
const MAX_CODE_LEN = 20;
const MAX_SELECTORS = 18002;
const LOOKUP_BITS = 10;
const LOOKUP_SIZE = 1 << LOOKUP_BITS;

/** The block is cut short: the caller's guess of where it ends was a false boundary or the stream is truncated. */
export class BlockTruncatedError extends Error {
  override readonly name = "BlockTruncatedError";
}

/** The block's bits are not a valid bzip2 block or its CRC does not match. */
export class BlockCorruptError extends Error {
  override readonly name = "BlockCorruptError";
}

export interface DecodedBlock {
  readonly data: Uint8Array;
  /** CRC stored in the block header; the stream CRC combines these. */
  readonly storedCrc: number;
  /** Bit position just after the block's end-of-block symbol, relative to the input buffer. */
  readonly endBit: number;
}

/** Combines block CRCs the way the end-of-stream trailer does. */
export function combineCrc(streamCrc: number, blockCrc: number): number {
  return (((streamCrc << 1) | (streamCrc >>> 31)) ^ blockCrc) >>> 0;
}

/** Scratch buffers reused across blocks by one thread: the BWT vector is the big one (4 bytes per byte). */
/** A block decoded up to its BWT links. */
interface PreparedBlock {
  readonly tt: Uint32Array;
  readonly raw: Uint8Array;
  readonly origPtr: number;
  readonly count: number;
  readonly storedCrc: number;
  readonly endBit: number;
}

export class BlockDecoder {
  private tt = new Uint32Array(0);
  private raw = new Uint8Array(0);
  private readonly walkScratch = new WalkScratch();
  private readonly rleScratch = { reversed: new Uint8Array(0) };

  /**
   * Decodes the block whose magic starts at `startBit` of `src`. `endBit` bounds the bits the block may use:
   * a block that needs more is reported as truncated. `src` must have at least 8 readable bytes past endBit/8
   * or be padded by the caller; reads past its end yield zeros and are caught by the bound.
   */
  decode(src: Uint8Array, startBit: number, endBit: number, maxBlockSize = 900000): DecodedBlock {
    const block = this.prepare(src, startBit, endBit, maxBlockSize);
    walkBwt(block.tt, block.origPtr, block.count, block.raw, this.walkScratch);
    const { data, crc } = undoRle(block.raw, block.count, this.rleScratch);
    // Decoded within its bounds, so a wrong CRC means damaged data, not a false boundary.
    if (crc !== block.storedCrc) throw new BlockCorruptError("bzip2 block CRC mismatch");
    return { data, storedCrc: block.storedCrc, endBit: block.endBit };
  }

  /** Header, Huffman/MTF symbols and BWT links of one block. */
  private prepare(src: Uint8Array, startBit: number, endBit: number, maxBlockSize: number): PreparedBlock {
    let bytePos = startBit >>> 3;
    let bitBuf = 0;
    let bitLen = 0;
    // Discard the bits before startBit inside its first byte.
    const skip = startBit & 7;
    if (skip) {
      bitBuf = src[bytePos++] ?? 0;
      bitLen = 8 - skip;
    }
    const srcLen = src.length;

    const read = (n: number): number => {
      while (bitLen < n) {
        bitBuf = (bitBuf << 8) | (bytePos < srcLen ? (src[bytePos] as number) : 0);
        bytePos++;
        bitLen += 8;
      }
      bitLen -= n;
      return (bitBuf >>> bitLen) & ((1 << n) - 1);
    };
    const consumed = (): number => bytePos * 8 - bitLen;
    // Bits past endBit are zero padding or the next block: an error after reading them means the block was
    // cut short (a false boundary), not damaged.
    const corrupt = (message: string): Error =>
      consumed() > endBit
        ? new BlockTruncatedError("bzip2 block runs past the end of its data")
        : new BlockCorruptError(message);
    const checkBound = (): void => {
      if (consumed() > endBit) throw new BlockTruncatedError("bzip2 block runs past the end of its data");
    };

    const magicHi = read(16);
    const magicLo = (read(16) << 16) | read(16);
    if (magicHi !== BLOCK_MAGIC_HI || magicLo >>> 0 !== BLOCK_MAGIC_LO) {
      throw corrupt("bzip2 block magic not found");
    }
    const storedCrc = ((read(16) << 16) | read(16)) >>> 0;
    if (read(1)) throw corrupt("randomised bzip2 blocks (bzip2 < 0.9.5) are not supported");
    const origPtr = read(24);

    const used = read(16);
    const symToByte = new Uint8Array(256);
    let symTotal = 0;
    for (let i = 0; i < 16; i++) {
      if (used & (0x8000 >>> i)) {
        const bits = read(16);
        for (let j = 0; j < 16; j++) if (bits & (0x8000 >>> j)) symToByte[symTotal++] = i * 16 + j;
      }
    }
    if (symTotal === 0) throw corrupt("bzip2 block uses no symbols");

    const nGroups = read(3);
    if (nGroups < MIN_GROUPS || nGroups > MAX_GROUPS) throw corrupt("bad bzip2 Huffman group count");
    const nSelectors = read(15);
    if (nSelectors < 1) throw corrupt("bad bzip2 selector count");
    const selectors = new Uint8Array(Math.min(nSelectors, MAX_SELECTORS));
    const selectorMtf = new Uint8Array([0, 1, 2, 3, 4, 5]);
    for (let i = 0; i < nSelectors; i++) {
      let j = 0;
      while (read(1)) {
        j++;
        if (j >= nGroups) throw corrupt("bad bzip2 selector");
      }
      const v = selectorMtf[j] as number;
      for (let k = j; k > 0; k--) selectorMtf[k] = selectorMtf[k - 1] as number;
      selectorMtf[0] = v;
      if (i < MAX_SELECTORS) selectors[i] = v;
    }
    checkBound();

    const alphaSize = symTotal + 2;
    // Per group: a LOOKUP_BITS-wide table (symbol << 5 | length, 0 = longer code) plus canonical limit/base/perm.
    const lookup = new Int32Array(nGroups * LOOKUP_SIZE);
    const limit = new Int32Array(nGroups * (MAX_CODE_LEN + 2));
    const base = new Int32Array(nGroups * (MAX_CODE_LEN + 2));
    const perm = new Int32Array(nGroups * 258);
    const maxLens = new Int32Array(nGroups);
    const lengths = new Uint8Array(alphaSize);
    for (let g = 0; g < nGroups; g++) {
      let len = read(5);
      for (let s = 0; s < alphaSize; s++) {
        for (;;) {
          if (len < 1 || len > MAX_CODE_LEN) throw corrupt("bad bzip2 code length");
          if (!read(1)) break;
          len += read(1) ? -1 : 1;
        }
        lengths[s] = len;
      }
      try {
        buildTables(g, lengths, alphaSize, lookup, limit, base, perm, maxLens);
      } catch (error) {
        throw corrupt((error as Error).message);
      }
    }
    checkBound();

    // The hot loops live in separate functions: V8 optimizes each on its own, where one big function was
    // deoptimized on every block at the first loop's exit.
    if (this.tt.length < maxBlockSize) {
      this.tt = new Uint32Array(maxBlockSize);
      this.raw = new Uint8Array(maxBlockSize);
    }
    const tt = this.tt;
    const raw = this.raw;
    const byteCount = new Int32Array(256);
    const reader: BitReaderState = { bytePos, bitBuf, bitLen };
    const tables: SymbolTables = { selectors, lookup, limit, base, perm, maxLens, alphaSize, symToByte };
    const count = decodeSymbols(src, reader, endBit, tables, tt, byteCount, maxBlockSize);
    bytePos = reader.bytePos;
    bitLen = reader.bitLen;
    const blockEnd = consumed();
    if (blockEnd > endBit) throw new BlockTruncatedError("bzip2 block runs past the end of its data");
    if (origPtr >= count) throw corrupt("bzip2 block origin pointer out of range");
    linkBwt(tt, count, byteCount);
    return { tt, raw, origPtr, count, storedCrc, endBit: blockEnd };
  }
}

/** Below this, one chain is walked: the bookkeeping of parallel chains costs more than it saves. */
const MIN_PARALLEL_WALK = 1 << 14;
/** Segments per block: lanes take them in turn, so the serial tail after the last one is short. */
const WALK_SEGMENTS = 128;
/** Chains walked at once; the hot loop in walkBwt is unrolled for exactly this many. */
const LANES = 8;
/** Marks a segment's first node in tt, above the byte (bits 0-7) and the 20-bit link (bits 8-27). */
const SEGMENT_START = 1 << 28;
const LINK_MASK = 0xfffff;

/** Scratch for the parallel walk, reused across blocks. */
export class WalkScratch {
  lanesOut = new Uint8Array(0);
  readonly starts = new Int32Array(WALK_SEGMENTS);
  readonly offsets = new Int32Array(WALK_SEGMENTS);
  readonly lengths = new Int32Array(WALK_SEGMENTS);
  readonly next = new Int32Array(WALK_SEGMENTS);
  readonly segmentOf = new Map<number, number>();
  readonly laneNode = new Int32Array(LANES);
  readonly laneWrite = new Int32Array(LANES);
  readonly laneSegment = new Int32Array(LANES);
}

/**
 * Inverse BWT, step 2: follow the links from the origin, writing the bytes before run-length decoding.
 *
 * One chain of dependent loads from a 3.6 MB table is bound by memory latency, not by the CPU. So the cycle is
 * cut at marked nodes into segments, eight lanes walk segments at once (the CPU overlaps their cache misses),
 * and the segments are then stitched in cycle order. Each lane writes its segments one after another into
 * its own region of the scratch, so lanes never overlap.
 */
export function walkBwt(
  tt: Uint32Array,
  origPtr: number,
  count: number,
  raw: Uint8Array,
  scratch: WalkScratch,
): void {
  const first = (tt[origPtr] as number) >>> 8;
  if (count < MIN_PARALLEL_WALK || count > LINK_MASK) {
    let pos = first;
    for (let i = 0; i < count; i++) {
      pos = tt[pos] as number;
      raw[i] = pos;
      pos >>>= 8;
    }
    return;
  }
  const { starts, offsets, lengths, next, segmentOf, laneNode, laneWrite, laneSegment } = scratch;
  segmentOf.clear();
  let segments = 0;
  for (let j = 0; j < WALK_SEGMENTS; j++) {
    const node = j === 0 ? first : Math.floor((j * count) / WALK_SEGMENTS);
    if (segmentOf.has(node)) continue;
    segmentOf.set(node, segments);
    starts[segments++] = node;
    tt[node] = (tt[node] as number) | SEGMENT_START;
  }
  if (scratch.lanesOut.length < LANES * count) scratch.lanesOut = new Uint8Array(LANES * count);
  const out = scratch.lanesOut;

  let started = 0;
  /** Starts the next segment on `lane` at its write position; false when none is left. */
  const begin = (lane: number): boolean => {
    if (started === segments) return false;
    const segment = started++;
    const at = laneWrite[lane] as number;
    const v = tt[starts[segment] as number] as number;
    offsets[segment] = at;
    out[at] = v;
    laneWrite[lane] = at + 1;
    laneNode[lane] = (v >>> 8) & LINK_MASK;
    laneSegment[lane] = segment;
    return true;
  };
  /** Closes the lane's segment, which ran into the start of another one. */
  const close = (lane: number): void => {
    const segment = laneSegment[lane] as number;
    lengths[segment] = (laneWrite[lane] as number) - (offsets[segment] as number);
    next[segment] = segmentOf.get(laneNode[lane] as number) as number;
  };

  for (let lane = 0; lane < LANES; lane++) {
    laneWrite[lane] = lane * count;
    begin(lane);
  }
  // Eight lanes in locals: V8 keeps them in registers, where arrays would cost a load and store per step.
  for (;;) {
    let p0 = laneNode[0] as number;
    let p1 = laneNode[1] as number;
    let p2 = laneNode[2] as number;
    let p3 = laneNode[3] as number;
    let p4 = laneNode[4] as number;
    let p5 = laneNode[5] as number;
    let p6 = laneNode[6] as number;
    let p7 = laneNode[7] as number;
    let w0 = laneWrite[0] as number;
    let w1 = laneWrite[1] as number;
    let w2 = laneWrite[2] as number;
    let w3 = laneWrite[3] as number;
    let w4 = laneWrite[4] as number;
    let w5 = laneWrite[5] as number;
    let w6 = laneWrite[6] as number;
    let w7 = laneWrite[7] as number;
    for (;;) {
      const v0 = tt[p0] as number;
      const v1 = tt[p1] as number;
      const v2 = tt[p2] as number;
      const v3 = tt[p3] as number;
      const v4 = tt[p4] as number;
      const v5 = tt[p5] as number;
      const v6 = tt[p6] as number;
      const v7 = tt[p7] as number;
      if (((v0 | v1 | v2 | v3 | v4 | v5 | v6 | v7) & SEGMENT_START) !== 0) break;
      out[w0++] = v0;
      out[w1++] = v1;
      out[w2++] = v2;
      out[w3++] = v3;
      out[w4++] = v4;
      out[w5++] = v5;
      out[w6++] = v6;
      out[w7++] = v7;
      p0 = (v0 >>> 8) & LINK_MASK;
      p1 = (v1 >>> 8) & LINK_MASK;
      p2 = (v2 >>> 8) & LINK_MASK;
      p3 = (v3 >>> 8) & LINK_MASK;
      p4 = (v4 >>> 8) & LINK_MASK;
      p5 = (v5 >>> 8) & LINK_MASK;
      p6 = (v6 >>> 8) & LINK_MASK;
      p7 = (v7 >>> 8) & LINK_MASK;
    }
    laneWrite[0] = w0;
    laneWrite[1] = w1;
    laneWrite[2] = w2;
    laneWrite[3] = w3;
    laneWrite[4] = w4;
    laneWrite[5] = w5;
    laneWrite[6] = w6;
    laneWrite[7] = w7;
    laneNode[0] = p0;
    laneNode[1] = p1;
    laneNode[2] = p2;
    laneNode[3] = p3;
    laneNode[4] = p4;
    laneNode[5] = p5;
    laneNode[6] = p6;
    laneNode[7] = p7;
    let exhausted = false;
    for (let lane = 0; lane < LANES; lane++) {
      if (((tt[laneNode[lane] as number] as number) & SEGMENT_START) === 0) continue;
      close(lane);
      if (!begin(lane)) {
        laneSegment[lane] = -1;
        exhausted = true;
      }
    }
    if (exhausted) break;
  }
  // No segment is left to start: the lanes still running finish one at a time.
  for (let lane = 0; lane < LANES; lane++) {
    if ((laneSegment[lane] as number) < 0) continue;
    let p = laneNode[lane] as number;
    let w = laneWrite[lane] as number;
    for (;;) {
      const v = tt[p] as number;
      if ((v & SEGMENT_START) !== 0) break;
      out[w++] = v;
      p = (v >>> 8) & LINK_MASK;
    }
    laneNode[lane] = p;
    laneWrite[lane] = w;
    close(lane);
  }
  // Stitch in cycle order, starting with the segment at the origin.
  let written = 0;
  let segment = 0;
  for (let visited = 0; visited < segments; visited++) {
    const length = lengths[segment] as number;
    if (written + length > count) break;
    const from = offsets[segment] as number;
    raw.set(out.subarray(from, from + length), written);
    written += length;
    segment = next[segment] as number;
    if (segment === 0) break;
  }
  // A valid block's links form one cycle through every position; damaged ones can form several.
  if (written !== count || segment !== 0) throw new BlockCorruptError("bzip2 block CRC mismatch");
}

interface BitReaderState {
  bytePos: number;
  bitBuf: number;
  bitLen: number;
}

interface SymbolTables {
  readonly selectors: Uint8Array;
  readonly lookup: Int32Array;
  readonly limit: Int32Array;
  readonly base: Int32Array;
  readonly perm: Int32Array;
  readonly maxLens: Int32Array;
  readonly alphaSize: number;
  readonly symToByte: Uint8Array;
}

function symbolError(message: string, reader: { bytePos: number; bitLen: number }, endBit: number): Error {
  return reader.bytePos * 8 - reader.bitLen > endBit
    ? new BlockTruncatedError("bzip2 block runs past the end of its data")
    : new BlockCorruptError(message);
}

/** Huffman + MTF + RUNA/RUNB decode into tt (low byte = the byte value); returns the symbol count. */
function decodeSymbols(
  src: Uint8Array,
  reader: BitReaderState,
  endBit: number,
  tables: SymbolTables,
  tt: Uint32Array,
  byteCount: Int32Array,
  maxBlockSize: number,
): number {
  const { selectors, lookup, limit, base, perm, maxLens, alphaSize, symToByte } = tables;
  const srcLen = src.length;
  let { bytePos, bitBuf, bitLen } = reader;
  const fail = (message: string): Error => symbolError(message, { bytePos, bitLen }, endBit);
  const mtf = new Uint8Array(256);
  for (let i = 0; i < 256; i++) mtf[i] = i;
  const eob = alphaSize - 1;
  let count = 0;
  let groupLeft = 0;
  let selectorIndex = 0;
  let lookupBase = 0;
  let limitBase = 0;
  let permBase = 0;
  let maxLen = 0;
  let runLength = 0;
  let runWeight = 1;
  for (;;) {
    if (groupLeft === 0) {
      if (bytePos * 8 - bitLen > endBit)
        throw new BlockTruncatedError("bzip2 block runs past the end of its data");
      if (selectorIndex >= selectors.length) throw fail("bzip2 selectors exhausted");
      const g = selectors[selectorIndex++] as number;
      lookupBase = g * LOOKUP_SIZE;
      limitBase = g * (MAX_CODE_LEN + 2);
      permBase = g * 258;
      maxLen = maxLens[g] as number;
      groupLeft = GROUP_SIZE;
    }
    groupLeft--;
    // Keep at least MAX_CODE_LEN bits buffered so a code can be decoded without further refills.
    while (bitLen <= 24) {
      bitBuf = (bitBuf << 8) | (bytePos < srcLen ? (src[bytePos] as number) : 0);
      bytePos++;
      bitLen += 8;
    }
    let sym: number;
    const entry = lookup[lookupBase + ((bitBuf >>> (bitLen - LOOKUP_BITS)) & (LOOKUP_SIZE - 1))] as number;
    if (entry !== 0) {
      bitLen -= entry & 31;
      sym = entry >>> 5;
    } else {
      let len = LOOKUP_BITS + 1;
      for (;;) {
        if (len > maxLen) throw fail("bad bzip2 Huffman code");
        const code = (bitBuf >>> (bitLen - len)) & ((1 << len) - 1);
        if (code <= (limit[limitBase + len] as number)) {
          const index = code - (base[limitBase + len] as number);
          if (index < 0 || index >= alphaSize) throw fail("bad bzip2 Huffman code");
          sym = perm[permBase + index] as number;
          bitLen -= len;
          break;
        }
        len++;
      }
    }

    if (sym <= 1) {
      // RUNA/RUNB: bijective base-2 digits of a run of the front MTF symbol.
      runLength += runWeight << sym;
      runWeight <<= 1;
      if (runLength > maxBlockSize) throw fail("bzip2 run overflows the block");
      continue;
    }
    if (runLength > 0) {
      if (count + runLength > maxBlockSize) throw fail("bzip2 block overflows its size");
      const b = symToByte[mtf[0] as number] as number;
      byteCount[b] = (byteCount[b] as number) + runLength;
      // Most runs are a few symbols long, where a call to fill costs more than the stores.
      if (runLength < 32) for (const end = count + runLength; count < end; count++) tt[count] = b;
      else {
        tt.fill(b, count, count + runLength);
        count += runLength;
      }
      runLength = 0;
      runWeight = 1;
    }
    if (sym === eob) break;
    if (count >= maxBlockSize) throw fail("bzip2 block overflows its size");
    const index = sym - 1;
    const v = mtf[index] as number;
    if (index < 16) {
      for (let k = index; k > 0; k--) mtf[k] = mtf[k - 1] as number;
    } else {
      mtf.copyWithin(1, 0, index);
    }
    mtf[0] = v;
    const b = symToByte[v] as number;
    byteCount[b] = (byteCount[b] as number) + 1;
    tt[count++] = b;
  }
  reader.bytePos = bytePos;
  reader.bitBuf = bitBuf;
  reader.bitLen = bitLen;
  return count;
}

/** Inverse BWT, step 1: link each position to its successor in the original text (upper 24 bits of tt). */
function linkBwt(tt: Uint32Array, count: number, byteCount: Int32Array): void {
  const cumulative = new Int32Array(256);
  for (let i = 0, sum = 0; i < 256; i++) {
    cumulative[i] = sum;
    sum += byteCount[i] as number;
  }
  for (let i = 0; i < count; i++) {
    const b = (tt[i] as number) & 0xff;
    const at = cumulative[b] as number;
    tt[at] = (tt[at] as number) | (i << 8);
    cumulative[b] = at + 1;
  }
}

/** Each byte with its bits in reverse order. */
const REVERSED_BITS = (() => {
  const table = new Uint8Array(256);
  for (let i = 0; i < 256; i++) {
    let r = 0;
    for (let k = 0; k < 8; k++) if (i & (1 << k)) r |= 0x80 >>> k;
    table[i] = r;
  }
  return table;
})();

function reverse32(x: number): number {
  let r = 0;
  for (let k = 0; k < 32; k++) r = (r << 1) | ((x >>> k) & 1);
  return r >>> 0;
}

/**
 * CRC-32/BZIP2 of data whose bytes were given bit-reversed: the bzip2 CRC is the MSB-first twin of zlib's
 * CRC-32 (same polynomial, initial value and final XOR), so it is zlib's native CRC of the bit-reversed bytes,
 * bit-reversed. Several times faster than a table-driven CRC in JavaScript.
 */
function bzip2CrcOfReversed(reversed: Uint8Array): number {
  return reverse32(crc32(reversed));
}

/** CRC-32/BZIP2 of a buffer, as the decoder computes it for each block. */
export function bzip2Crc(data: Uint8Array): number {
  return bzip2CrcOfReversed(data.map((b) => REVERSED_BITS[b] as number));
}

/**
 * Undoes bzip2's initial run-length encoding (4 equal bytes are followed by a count of further repeats), and
 * writes the bit-reversed output alongside for the CRC.
 */
function undoRle(
  raw: Uint8Array,
  count: number,
  scratch: { reversed: Uint8Array },
): { data: Uint8Array; crc: number } {
  // Literal bytes yield one byte each, so room for the rest of the input is checked only when a run is added.
  let out: Uint8Array = new Uint8Array(count + (count >>> 2) + 64);
  if (scratch.reversed.length < out.length) scratch.reversed = new Uint8Array(out.length);
  let reversed = scratch.reversed;
  let outLen = 0;
  let last = -1;
  let same = 0;
  for (let i = 0; i < count; i++) {
    const b = raw[i] as number;
    reversed[outLen] = REVERSED_BITS[b] as number;
    out[outLen++] = b;
    if (b !== last) {
      last = b;
      same = 1;
      continue;
    }
    if (++same < 4) continue;
    // The fourth equal byte: the next one counts further repeats.
    if (++i >= count) break;
    const repeats = raw[i] as number;
    if (outLen + repeats + (count - i) > out.length) {
      out = grow(out, outLen + repeats + (count - i));
      if (reversed.length < out.length) reversed = scratch.reversed = grow(reversed, out.length);
    }
    out.fill(b, outLen, outLen + repeats);
    reversed.fill(REVERSED_BITS[b] as number, outLen, outLen + repeats);
    outLen += repeats;
    same = 0;
    last = -1;
  }
  return { data: out.subarray(0, outLen), crc: bzip2CrcOfReversed(reversed.subarray(0, outLen)) };
}

function grow(out: Uint8Array, needed: number): Uint8Array {
  const next = new Uint8Array(Math.max(needed, out.length * 2));
  next.set(out);
  return next;
}

function buildTables(
  g: number,
  lengths: Uint8Array,
  alphaSize: number,
  lookup: Int32Array,
  limit: Int32Array,
  base: Int32Array,
  perm: Int32Array,
  maxLens: Int32Array,
): void {
  let maxLen = 0;
  for (let s = 0; s < alphaSize; s++) {
    const len = lengths[s] as number;
    if (len > maxLen) maxLen = len;
  }
  maxLens[g] = maxLen;
  const lb = g * (MAX_CODE_LEN + 2);
  const pb = g * 258;
  const tb = g * LOOKUP_SIZE;
  // Canonical codes: increasing by length, then by symbol index (as libbzip2's hbCreateDecodeTables).
  let code = 0;
  let p = 0;
  for (let len = 1; len <= MAX_CODE_LEN; len++) {
    const first = code;
    for (let s = 0; s < alphaSize; s++) {
      if (lengths[s] !== len) continue;
      perm[pb + p++] = s;
      if (len <= LOOKUP_BITS) {
        const from = code << (LOOKUP_BITS - len);
        const to = (code + 1) << (LOOKUP_BITS - len);
        if (to > LOOKUP_SIZE) throw new BlockCorruptError("bzip2 Huffman code lengths oversubscribed");
        lookup.fill((s << 5) | len, tb + from, tb + to);
      }
      code++;
    }
    limit[lb + len] = code - 1;
    base[lb + len] = first - (p - (code - first));
    code <<= 1;
  }
}
