/**
 * The codec against an independent decoder (libbzip2's `bzip2` command): random and adversarial inputs must
 * decode to exactly what libbzip2 decodes, or fail with Bzip2DataError where libbzip2 fails, and never hang.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtemp, open, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BlockDecodePool, Bzip2DataError, bunzipToFile } from "../../../../functions/etl/bzip2";
import { type BlockJob, type BlockResult, decodeJob } from "../../../../functions/etl/bzip2/job";
import { rng } from "../../../fixtures/etl/seoss-fixture";

jest.setTimeout(120_000);

const compress = (data: Buffer, level: number): Buffer =>
  execFileSync("bzip2", ["-c", `-${level}`], { input: data, maxBuffer: 256 * 1024 * 1024 });

/** libbzip2's answer: the data, or null when it refuses the stream. */
function reference(compressed: Buffer): Buffer | null {
  const result = spawnSync("bzip2", ["-d", "-c"], { input: compressed, maxBuffer: 256 * 1024 * 1024 });
  return result.status === 0 ? result.stdout : null;
}

type Shape = "random" | "runs" | "text" | "single" | "empty";

function generate(shape: Shape, bytes: number, random: () => number): Buffer {
  if (shape === "empty") return Buffer.alloc(0);
  if (shape === "single") return Buffer.from([Math.floor(random() * 256)]);
  const out = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; ) {
    if (shape === "random") out[i++] = Math.floor(random() * 256);
    else if (shape === "runs") {
      // Runs of every length around the RLE thresholds (4, 255, 256, 259) and beyond.
      const run = Math.min(
        bytes - i,
        [1, 3, 4, 5, 251, 255, 256, 259, 260, 1000][Math.floor(random() * 10)] as number,
      );
      out.fill(Math.floor(random() * 4), i, i + run);
      i += run;
    } else out[i++] = 97 + Math.floor(random() ** 3 * 26);
  }
  return out;
}

let dir: string;
let pool: BlockDecodePool;
let inline: BlockDecodePool;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "bzip2-differential-"));
  pool = new BlockDecodePool(2);
  inline = new BlockDecodePool(0);
});

afterAll(async () => {
  await pool.close();
  await inline.close();
  await rm(dir, { recursive: true, force: true });
});

async function* chunks(data: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

/** Ours: the data, or the error it failed with. */
async function ours(
  compressed: Buffer,
  decoders: BlockDecodePool,
  chunkSize = 65_536,
): Promise<Buffer | Error> {
  const path = join(dir, `out-${Math.random()}`);
  const out = await open(path, "w");
  try {
    await bunzipToFile(chunks(compressed, chunkSize), out, decoders);
  } catch (error) {
    return error as Error;
  } finally {
    await out.close();
  }
  return readFile(path);
}

function expectSameAnswer(mine: Buffer | Error, theirs: Buffer | null, label: string): void {
  if (theirs === null) {
    expect({ label, error: mine instanceof Bzip2DataError }).toEqual({ label, error: true });
  } else {
    expect({ label, equal: Buffer.isBuffer(mine) && mine.equals(theirs) }).toEqual({ label, equal: true });
  }
}

describe("the bzip2 codec against libbzip2", () => {
  const shapes: Shape[] = ["random", "runs", "text", "single", "empty"];

  it("decodes what bzip2 compressed back to the original, for every shape, size and level (compress -> decode = identity)", async () => {
    const random = rng(20261130);
    let cases = 0;
    for (let i = 0; i < 40; i++) {
      const shape = shapes[i % shapes.length] as Shape;
      const level = 1 + Math.floor(random() * 9);
      const data = generate(shape, Math.floor(random() ** 2 * 400_000) + 1, random);
      const compressed = compress(data, level);

      const mine = await ours(compressed, i % 2 === 0 ? pool : inline, 1 + Math.floor(random() * 100_000));

      expect({ shape, level, bytes: data.length, equal: Buffer.isBuffer(mine) && mine.equals(data) }).toEqual(
        {
          shape,
          level,
          bytes: data.length,
          equal: true,
        },
      );
      cases++;
    }
    expect(cases).toBe(40);
  });

  it("decodes concatenated streams as libbzip2 does", async () => {
    const random = rng(7);
    const parts = [
      generate("text", 150_000, random),
      generate("empty", 0, random),
      generate("runs", 90_000, random),
    ];
    const compressed = Buffer.concat(parts.map((part, i) => compress(part, 1 + i * 4)));

    expectSameAnswer(await ours(compressed, pool), reference(compressed), "multi-stream");
    expect(reference(compressed)?.equals(Buffer.concat(parts))).toBe(true);
  });

  it("fails truncated streams with Bzip2DataError, as libbzip2 refuses them", async () => {
    const random = rng(11);
    const compressed = compress(generate("text", 300_000, random), 1);
    let cases = 0;
    for (const cut of [
      0,
      1,
      3,
      4,
      10,
      100,
      1000,
      Math.floor(compressed.length / 2),
      compressed.length - 5,
      compressed.length - 1,
    ]) {
      const truncated = compressed.subarray(0, cut);
      expectSameAnswer(
        await ours(truncated, cases % 2 ? pool : inline),
        reference(truncated),
        `cut at ${cut}`,
      );
      cases++;
    }
    expect(cases).toBe(10);
  });

  it("never returns wrong data for a bit-flipped stream: the same bytes as libbzip2, or Bzip2DataError", async () => {
    const random = rng(23);
    const data = generate("text", 250_000, random);
    const compressed = compress(data, 2);
    let refused = 0;
    for (let i = 0; i < 40; i++) {
      const flipped = Buffer.from(compressed);
      const bit = Math.floor(random() * flipped.length * 8);
      flipped[bit >>> 3] = (flipped[bit >>> 3] as number) ^ (0x80 >>> (bit & 7));
      const theirs = reference(flipped);
      if (theirs === null) refused++;
      expectSameAnswer(await ours(flipped, i % 2 ? pool : inline), theirs, `bit ${bit}`);
    }
    expect(refused).toBeGreaterThan(30);
  });

  it("rejects data that is not bzip2 at all, whatever it is", async () => {
    const random = rng(5);
    for (const input of [
      Buffer.alloc(0),
      Buffer.from("B"),
      Buffer.from("BZh"),
      Buffer.from("BZh9"),
      generate("random", 5000, random),
    ]) {
      expect(await ours(input, inline)).toBeInstanceOf(Bzip2DataError);
    }
  });
});

describe("the stream splitter's limits", () => {
  it("keeps a member of more than 4 MiB (the read buffer) exact, by compacting or growing the buffer", async () => {
    const random = rng(99);
    // Random bytes do not compress: about 5 MiB of compressed input through a 4 MiB buffer in small reads.
    const data = generate("random", 5 * 1024 * 1024, random);
    const compressed = compress(data, 9);
    expect(compressed.length).toBeGreaterThan(4 * 1024 * 1024);

    const mine = await ours(compressed, pool, 64 * 1024);

    expect(Buffer.isBuffer(mine) && mine.equals(data)).toBe(true);
  });

  it("never has more blocks in flight than its limit, however fast the input arrives", async () => {
    // A pool without threads has the smallest limit (4); its decodes settle a tick late, as a worker's would.
    class CountingPool extends BlockDecodePool {
      inFlight = 0;
      most = 0;
      override decode(job: BlockJob): Promise<BlockResult> {
        this.inFlight++;
        this.most = Math.max(this.most, this.inFlight);
        return new Promise((resolve) =>
          setTimeout(() => {
            this.inFlight--;
            resolve(decodeJob(job));
          }, 1),
        );
      }
    }
    const counting = new CountingPool(0);
    const data = generate("text", 2_000_000, rng(3));
    const compressed = compress(data, 1);

    const mine = await ours(compressed, counting, 1 << 20);

    expect(Buffer.isBuffer(mine) && mine.equals(data)).toBe(true);
    expect(counting.most).toBeGreaterThan(1);
    expect(counting.most).toBeLessThanOrEqual(4);
  });
});
