/**
 * bzip2 decoder benchmark: our block decoder (functions/etl/bzip2/block-decoder.ts) on one thread and on worker threads,
 * against native libbzip2 (`bzip2 -dc`) and Python's `bz2`, on one database from the ETL benchmark's zip.
 *
 *   npm run bench:bzip2 [-- --input <file.bz2> --runs 3]
 *
 * Without --input it takes the largest member of the zip `npm run bench:etl` generates (bench/out/).
 */
import { spawnSync } from "node:child_process";
import { createReadStream, existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { availableParallelism, cpus } from "node:os";
import { join, resolve } from "node:path";
import StreamZip from "node-stream-zip";
import { BlockDecodePool, bunzipToFile } from "../functions/etl/bzip2";
import { benchArgs, wholeNumber } from "./args";

const root = resolve(__dirname, "..");
const outDir = join(root, "bench", "out");
const USAGE = `Usage: npm run bench:bzip2 -- [--input <file.bz2>] [--runs 3]

Times our bzip2 decoder (one thread and worker threads) against bzip2 -dc and Python's bz2. Without --input
it takes the largest member of the zip that npm run bench:etl generates in bench/out/.`;
const values = benchArgs(USAGE, { input: { type: "string" }, runs: { type: "string", default: "3" } });
const runs = wholeNumber("runs", values.runs, 1, USAGE);

async function defaultInput(): Promise<string> {
  const zipName = existsSync(outDir)
    ? readdirSync(outDir).find((name) => /^seoss-.*\.zip$/.test(name))
    : undefined;
  if (!zipName)
    throw new Error("no input: pass --input <file.bz2>, or run `npm run bench:etl -- --runs 0` first");
  const zip = new StreamZip.async({ file: join(outDir, zipName) });
  try {
    const entries = Object.values(await zip.entries()).filter((entry) => entry.name.endsWith(".bz2"));
    const largest = entries.sort((a, b) => b.size - a.size)[0];
    if (!largest) throw new Error(`${zipName} holds no .bz2 member`);
    const target = join(outDir, largest.name.split("/").pop() as string);
    if (!existsSync(target)) await zip.extract(largest, target);
    return target;
  } finally {
    await zip.close();
  }
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
}

function timeCommand(command: string[]): number {
  const started = performance.now();
  const result = spawnSync(command[0] as string, command.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
  if (result.status !== 0) throw new Error(`${command.join(" ")} failed: ${result.stderr}`);
  return (performance.now() - started) / 1000;
}

async function timeOurs(input: string, workers: number): Promise<{ seconds: number; bytes: number }> {
  const pool = new BlockDecodePool(workers);
  const out = await open("/dev/null", "w");
  try {
    const started = performance.now();
    const { decompressedBytes } = await bunzipToFile(
      createReadStream(input, { highWaterMark: 1 << 20 }),
      out,
      pool,
    );
    return { seconds: (performance.now() - started) / 1000, bytes: decompressedBytes };
  } finally {
    await out.close();
    await pool.close();
  }
}

async function main(): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const input = values.input ? resolve(values.input) : await defaultInput();
  const cores = availableParallelism();
  const rows: [string, number[]][] = [
    ["bzip2 -dc (libbzip2)", []],
    ["python3 bz2", []],
    ["ours, 1 thread", []],
    [`ours, ${cores} worker threads`, []],
  ];
  let bytes = 0;
  for (let run = 0; run < runs; run++) {
    rows[0]?.[1].push(timeCommand(["bzip2", "-dc", input]));
    rows[1]?.[1].push(
      timeCommand([
        "python3",
        "-c",
        "import bz2,shutil,sys\nwith bz2.open(sys.argv[1]) as s, open('/dev/null','wb') as d: shutil.copyfileobj(s, d, 1 << 20)",
        input,
      ]),
    );
    const single = await timeOurs(input, 0);
    bytes = single.bytes;
    rows[2]?.[1].push(single.seconds);
    rows[3]?.[1].push((await timeOurs(input, cores)).seconds);
  }
  const native = median(rows[0]?.[1] ?? []);
  console.log(
    [
      `machine: ${cores} cores, ${cpus()[0]?.model ?? "unknown"}, node ${process.version}`,
      `input: ${input} (${(statSync(input).size / 1e6).toFixed(0)} MB compressed, ${(bytes / 1e6).toFixed(0)} MB decompressed); median of ${runs} run(s)`,
      "",
      ...rows.map(([name, seconds]) => {
        const s = median(seconds);
        return `${name.padEnd(26)} ${s.toFixed(2).padStart(7)} s ${(bytes / 1e6 / s).toFixed(1).padStart(7)} MB/s ${(s / native).toFixed(2).padStart(6)}x native`;
      }),
    ].join("\n"),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
