/**
 * ETL benchmark: our ETL (`npm run etl`, block-parallel bzip2 on worker threads) against the original AWS
 * sample's Python data path (zipfile, bz2, sqlite3, csv) on the same generated SEOSS-shaped zip.
 *
 *   npm run bench:etl [-- --size-mb 300 --runs 3 --projects 24]   (--runs 0: only generate the zip)
 *
 * The zip is generated once into bench/out/ (gitignored) and reused. Needs python3 and GNU time
 * (/usr/bin/time) for wall time and peak RSS. Not part of the jest suite: it takes minutes.
 */
import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  bzip2File,
  MANIFEST,
  realisticIssues,
  writeIssueDb,
  writeZip,
} from "../__tests__/fixtures/etl/seoss-fixture";
import { benchArgs, requireGnuTime, wholeNumber } from "./args";

const root = resolve(__dirname, "..");
const USAGE = `Usage: npm run bench:etl -- [--size-mb 300] [--runs 3] [--projects 24]

Generates a SEOSS-shaped zip of about --size-mb MB (once, into bench/out/) and times our ETL against the
original sample's Python data path on it: wall time, CPU and peak RSS. --runs 0 only generates the zip.
Needs python3 and GNU time (/usr/bin/time).`;
const values = benchArgs(USAGE, {
  "size-mb": { type: "string", default: "300" },
  runs: { type: "string", default: "3" },
  projects: { type: "string", default: "24" },
});
const sizeMb = wholeNumber("size-mb", values["size-mb"], 1, USAGE);
const runs = wholeNumber("runs", values.runs, 0, USAGE);
const projectCount = wholeNumber("projects", values.projects, 2, USAGE);

/** bzip2 shrinks these generated databases about 8x: aim the database volume at the wanted zip size. */
const COMPRESSION_RATIO = 8;
/** Average database bytes per generated issue row (measured on realisticIssues). */
const BYTES_PER_ROW = 1150;

const MB = 1024 * 1024;

async function generateZip(path: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "etl-bench-gen-"));
  try {
    // Skewed like SEOSS: a few big projects, a long tail of small ones.
    const weights = Array.from({ length: projectCount }, (_, i) => 1 / (i + 1) ** 1.1);
    const total = weights.reduce((a, b) => a + b, 0);
    const totalRows = (sizeMb * MB * COMPRESSION_RATIO) / BYTES_PER_ROW;
    const names = [
      "spark",
      "hadoop",
      "hbase",
      "hive",
      "kafka",
      "flink",
      "lucene",
      "cassandra",
      "ambari",
      "zookeeper",
    ];
    const projects = weights.map((w, i) => ({
      name: `${names[i % names.length]}${i >= names.length ? i : ""}`,
      rows: Math.max(60, Math.round((totalRows * w) / total)),
    }));
    const compressions: Promise<void>[] = [];
    let running: Promise<void>[] = [];
    for (const [i, project] of projects.entries()) {
      const db = join(dir, `${project.name}.sqlite3`);
      process.stderr.write(`generating ${project.name} (${project.rows} issues)\n`);
      writeIssueDb(db, realisticIssues(project.name, project.rows, i + 1));
      // Compress on another core while the next database is generated.
      if (running.length >= 2) {
        await Promise.race(running);
      }
      const job = bzip2File(db, `${db}.bz2`).then(() => rmSync(db));
      running.push(job);
      job.then(() => {
        running = running.filter((r) => r !== job);
      });
      compressions.push(job);
    }
    await Promise.all(compressions);
    await writeZip(path, [
      { name: "MANIFEST.TXT", data: MANIFEST, method: "deflate" },
      ...projects.map((p) => ({
        name: `dataverse_files/${p.name}.sqlite3.bz2`,
        file: join(dir, `${p.name}.sqlite3.bz2`),
      })),
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Measure {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly peakMb: number;
}

function measure(command: string[]): Measure {
  const result = spawnSync("/usr/bin/time", ["-f", "%e %M %U %S", ...command], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 64 * MB,
  });
  if (result.status !== 0) throw new Error(`${command.join(" ")} failed:\n${result.stderr}`);
  const [seconds, kb, user, system] = (result.stderr.trim().split("\n").pop() ?? "").split(" ").map(Number);
  return {
    seconds: seconds ?? Number.NaN,
    cpuSeconds: (user ?? Number.NaN) + (system ?? Number.NaN),
    peakMb: (kb ?? Number.NaN) / 1024,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function databaseBytes(zip: string): Promise<number> {
  // The sum of decompressed database sizes, from our report (both tools decompress the same bytes).
  const out = mkdtempSync(join(tmpdir(), "etl-bench-size-"));
  try {
    const tsx = join(root, "node_modules/tsx/dist/cli.mjs");
    await new Promise<void>((done, fail) =>
      execFile(
        process.execPath,
        [tsx, "functions/etl/cli.ts", "--input", zip, "--out", out],
        { cwd: root },
        (e) => (e ? fail(e) : done()),
      ),
    );
    const report = JSON.parse(readFileSync(join(out, "report.json"), "utf8"));
    return report.output.decompressed_bytes as number;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  requireGnuTime();
  const outDir = join(root, "bench", "out");
  mkdirSync(outDir, { recursive: true });
  const zip = join(outDir, `seoss-${sizeMb}mb-${projectCount}p.zip`);
  if (!existsSync(zip)) {
    const started = performance.now();
    await generateZip(zip);
    process.stderr.write(`generated ${zip} in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  }
  if (runs === 0) return;
  const zipBytes = statSync(zip).size;
  const dbBytes = await databaseBytes(zip);

  const tsx = join(root, "node_modules/tsx/dist/cli.mjs");
  const ours: Measure[] = [];
  const python: Measure[] = [];
  // Alternate the two so a noisy neighbour on a shared machine hits both alike.
  for (let run = 0; run < runs; run++) {
    const work = mkdtempSync(join(tmpdir(), "etl-bench-run-"));
    try {
      python.push(measure(["python3", "bench/etl-baseline.py", zip, join(work, "python.csv"), work]));
      rmSync(join(work, "python.csv"));
      ours.push(
        measure([process.execPath, tsx, "functions/etl/cli.ts", "--input", zip, "--out", join(work, "ours")]),
      );
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    process.stderr.write(
      `run ${run + 1}: python ${python.at(-1)?.seconds} s, ours ${ours.at(-1)?.seconds} s (peak ${ours.at(-1)?.peakMb.toFixed(0)} MB)\n`,
    );
  }

  const cpu = cpus()[0]?.model ?? "unknown";
  const nproc = spawnSync("nproc", { encoding: "utf8" }).stdout.trim();
  const pythonVersion = spawnSync("python3", ["--version"], { encoding: "utf8" }).stdout.trim();
  const row = (name: string, results: Measure[]) => {
    const seconds = median(results.map((r) => r.seconds));
    const peak = Math.max(...results.map((r) => r.peakMb));
    const cpu = median(results.map((r) => r.cpuSeconds));
    return `${name.padEnd(26)} ${seconds.toFixed(2).padStart(8)} s ${cpu.toFixed(2).padStart(8)} s ${(zipBytes / MB / seconds).toFixed(1).padStart(8)} MB/s ${(dbBytes / MB / seconds).toFixed(1).padStart(8)} MB/s ${peak.toFixed(0).padStart(8)} MB`;
  };
  const oursMedian = median(ours.map((r) => r.seconds));
  const pythonMedian = median(python.map((r) => r.seconds));
  console.log(
    [
      `machine: ${nproc} cores, ${cpu}, node ${process.version}, ${pythonVersion}`,
      `input: ${zip} (${(zipBytes / MB).toFixed(0)} MB zip, ${(dbBytes / MB).toFixed(0)} MB of databases, ${projectCount} projects); median of ${runs} run(s)`,
      "",
      `${"".padEnd(26)} ${"wall".padStart(10)} ${"CPU".padStart(10)} ${"zip".padStart(13)} ${"databases".padStart(13)} ${"peak RSS".padStart(11)}`,
      row("python (original sample)", python),
      row("ours (npm run etl)", ours),
      "",
      `ours / python: ${(oursMedian / pythonMedian).toFixed(2)}x wall time (target <= 0.6x), peak RSS ${Math.max(...ours.map((r) => r.peakMb)).toFixed(0)} MB (target < 1024 MB)`,
    ].join("\n"),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
