import { execFileSync } from "node:child_process";
import { mkdtemp, open, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BlockDecodePool, Bzip2DataError, bunzipToFile } from "../../../../functions/etl/bzip2";
import {
  BlockCorruptError,
  BlockDecoder,
  BlockTruncatedError,
  bzip2Crc,
  WalkScratch,
  walkBwt,
} from "../../../../functions/etl/bzip2/block-decoder";
import { rng } from "../../../fixtures/etl/seoss-fixture";

function compress(data: Buffer, level = 9): Buffer {
  return execFileSync(
    "python3",
    ["-c", `import bz2,sys; sys.stdout.buffer.write(bz2.compress(sys.stdin.buffer.read(), ${level}))`],
    {
      input: data,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
}

/** Text-like data with long runs (the RLE paths) and enough volume for several blocks at level 1. */
function sampleData(bytes: number, seed: number): Buffer {
  const random = rng(seed);
  const out = Buffer.alloc(bytes);
  let i = 0;
  while (i < bytes) {
    if (random() < 0.02) {
      const run = Math.min(bytes - i, Math.floor(random() * 600));
      out.fill(random() < 0.5 ? 0 : 0x20, i, i + run);
      i += run;
    } else {
      out[i++] = 97 + Math.floor(random() ** 3 * 26);
    }
  }
  return out;
}

async function* chunks(data: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

describe("bunzipToFile", () => {
  let dir: string;
  let pool: BlockDecodePool;
  let inline: BlockDecodePool;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "etl-bunzip-"));
    pool = new BlockDecodePool(2);
    inline = new BlockDecodePool(0);
  });

  afterAll(async () => {
    await pool.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function decompress(compressed: Buffer, chunkSize: number, decoders = pool): Promise<Buffer> {
    const path = join(dir, `out-${Math.random()}`);
    const out = await open(path, "w");
    try {
      await bunzipToFile(chunks(compressed, chunkSize), out, decoders);
    } finally {
      await out.close();
    }
    return readFile(path);
  }

  it("decodes a multi-block stream on worker threads byte for byte, whatever the chunking", async () => {
    // Prepare
    const data = sampleData(450_000, 1);
    const compressed = compress(data, 1);

    // Act
    const small = await decompress(compressed, 4096);
    const large = await decompress(compressed, 1 << 20);

    // Assess
    expect(small.equals(data)).toBe(true);
    expect(large.equals(data)).toBe(true);
  });

  it("decodes inline when no worker threads are wanted", async () => {
    // Prepare
    const data = sampleData(120_000, 2);

    // Act
    const result = await decompress(compress(data), 10_000, inline);

    // Assess
    expect(result.equals(data)).toBe(true);
  });

  it("decodes concatenated streams (as pbzip2 writes) and an empty stream", async () => {
    // Prepare
    const first = sampleData(50_000, 3);
    const second = Buffer.from("second stream\n".repeat(1000));
    const compressed = Buffer.concat([compress(first), compress(Buffer.alloc(0)), compress(second, 3)]);

    // Act
    const result = await decompress(compressed, 7777);

    // Assess
    expect(result.equals(Buffer.concat([first, second]))).toBe(true);
  });

  it("rejects data that is not bzip2", async () => {
    // Act / Assess
    await expect(decompress(Buffer.from("PK\u0003\u0004 not bzip2 at all"), 100)).rejects.toThrow(
      Bzip2DataError,
    );
  });

  it("rejects a stream whose data was damaged", async () => {
    // Prepare
    const compressed = compress(sampleData(200_000, 4), 1);
    const damaged = Buffer.from(compressed);
    const middle = Math.floor(damaged.length / 2);
    damaged[middle] = (damaged[middle] as number) ^ 0x55;

    // Act / Assess
    await expect(decompress(damaged, 65536)).rejects.toThrow(Bzip2DataError);
  });

  it("rejects a truncated stream", async () => {
    // Prepare
    const compressed = compress(sampleData(200_000, 5), 1);

    // Act / Assess
    await expect(decompress(compressed.subarray(0, compressed.length - 2000), 65536)).rejects.toThrow(
      /truncated/,
    );
    await expect(decompress(compressed.subarray(0, compressed.length - 3), 65536)).rejects.toThrow(
      Bzip2DataError,
    );
  });
});

describe("bzip2Crc", () => {
  it("computes CRC-32/BZIP2 (check value of '123456789' is 0xFC891918)", () => {
    expect(bzip2Crc(Buffer.from("123456789"))).toBe(0xfc891918);
  });
});

describe("BlockDecoder", () => {
  it("rejects a block whose decoded data does not match the CRC in its header", () => {
    // Prepare: the block CRC follows the stream header (4 bytes) and the block magic (6 bytes)
    const compressed = compress(sampleData(50_000, 13));
    const damaged = Buffer.from(compressed);
    damaged[12] = (damaged[12] as number) ^ 0x01;
    const decoder = new BlockDecoder();

    // Act
    const decode = () => decoder.decode(damaged, 32, damaged.length * 8);

    // Assess
    expect(decoder.decode(compressed, 32, compressed.length * 8).data.length).toBe(50_000);
    expect(decode).toThrow(new BlockCorruptError("bzip2 block CRC mismatch"));
  });

  it("reports a block cut at a false boundary as truncated, not damaged, so the caller can merge", () => {
    // Prepare: the first block of a two-block stream, with its end guessed 1000 bits too early
    const data = sampleData(150_000, 6);
    const compressed = compress(data, 1);
    const decoder = new BlockDecoder();
    const first = decoder.decode(compressed, 32, compressed.length * 8);

    // Act
    const cut = () => decoder.decode(compressed, 32, first.endBit - 1000);

    // Assess
    expect(cut).toThrow(BlockTruncatedError);
    expect(Buffer.from(first.data).equals(data.subarray(0, first.data.length))).toBe(true);
  });
});

describe("walkBwt", () => {
  /** Links `cycles` (lists of positions) into a BWT vector whose walk from the returned origin yields `bytes`. */
  function linkCycles(cycles: number[][], bytes: Uint8Array): { tt: Uint32Array; origPtr: number } {
    const tt = new Uint32Array(bytes.length);
    let k = 0;
    for (const cycle of cycles) {
      cycle.forEach((node, i) => {
        tt[node] = ((cycle[(i + 1) % cycle.length] as number) << 8) | (bytes[k++] as number);
      });
    }
    const first = cycles[0] as number[];
    return { tt, origPtr: first.at(-1) as number };
  }

  function shuffled(n: number, seed: number): number[] {
    const random = rng(seed);
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    return order;
  }

  it("follows one cycle through a whole block in order, walking its segments in parallel", () => {
    // Prepare: a 900,000-position cycle (the largest block) in random order
    const n = 900_000;
    const bytes = new Uint8Array(sampleData(n, 9));
    const { tt, origPtr } = linkCycles([shuffled(n, 10)], bytes);
    const raw = new Uint8Array(n);

    // Act
    walkBwt(tt, origPtr, n, raw, new WalkScratch());

    // Assess
    expect(Buffer.from(raw).equals(Buffer.from(bytes))).toBe(true);
  });

  it("reports links that form more than one cycle as damaged", () => {
    // Prepare: the positions split into two cycles, which no valid block has
    const order = shuffled(100_000, 11);
    const bytes = new Uint8Array(sampleData(order.length, 12));
    const { tt, origPtr } = linkCycles([order.slice(0, 60_000), order.slice(60_000)], bytes);

    // Act
    const walk = () => walkBwt(tt, origPtr, order.length, new Uint8Array(order.length), new WalkScratch());

    // Assess
    expect(walk).toThrow(BlockCorruptError);
  });
});
