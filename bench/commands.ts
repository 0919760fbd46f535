/**
 * The commands a person waits for: the quick start's offline plan review (`npm run plan`, all stacks)
 * and the local ETL's start (`npm run etl`, time to its first line of output, and to the end on a small CSV),
 * against the way they ran before (stacks planned one after another; the ETL transpiled by tsx at start).
 *
 *   npm run bench:commands [-- --runs 3]
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { benchArgs, wholeNumber } from "./args";

const USAGE = `Usage: npm run bench:commands -- [--runs 3]

Times npm run plan (all stacks, offline) and npm run etl on a small generated CSV: to the first line of
output and to the end, median of --runs, against the ETL started through tsx from TypeScript.`;
const runs = wholeNumber("runs", benchArgs(USAGE, { runs: { type: "string", default: "3" } }).runs, 1, USAGE);
const root = resolve(__dirname, "..");

/** Seconds to the first byte the command prints (stdout or stderr) and to its exit. */
function time(command: string, args: string[]): Promise<{ first: number; total: number }> {
  return new Promise((done, fail) => {
    const started = performance.now();
    let first = Number.NaN;
    const child = spawn(command, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    const mark = () => {
      if (Number.isNaN(first)) first = (performance.now() - started) / 1000;
    };
    child.stdout.on("data", mark);
    child.stderr.on("data", mark);
    child.on("error", fail);
    child.on("close", (code) => {
      if (code !== 0) fail(new Error(`${command} ${args.join(" ")} exited ${code}`));
      else done({ first, total: (performance.now() - started) / 1000 });
    });
  });
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function series(label: string, make: () => [string, string[]], after?: () => void): Promise<void> {
  const samples: { first: number; total: number }[] = [];
  for (let i = 0; i < runs; i++) {
    const [command, args] = make();
    samples.push(await time(command, args));
    after?.();
  }
  console.log(
    `${label.padEnd(52)} first output ${median(samples.map((s) => s.first)).toFixed(2)} s, done ${median(samples.map((s) => s.total)).toFixed(2)} s (median of ${runs})`,
  );
}

async function main(): Promise<void> {
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? "unknown CPU"}, node ${process.version}`);
  const dir = mkdtempSync(join(tmpdir(), "bench-commands-"));
  const csv = join(dir, "tickets.csv");
  const rows = ["assignment_group,short_description,description"];
  for (let i = 0; i < 600; i++) rows.push(`Team ${i % 3},Ticket ${i},Something about ${i % 3} broke`);
  writeFileSync(csv, `${rows.join("\n")}\n`);
  let out = 0;
  const outDir = () => join(dir, `out-${out++}`);
  const clean = () => rmSync(join(dir, `out-${out - 1}`), { recursive: true, force: true });

  // Warm: builds the ETL bundle if a source changed, and the plan review's providers and caches.
  await time("npm", ["run", "--silent", "etl", "--", "--input", csv, "--out", outDir()]);
  clean();
  await series(
    "npm run etl (prebuilt JavaScript)",
    () => ["npm", ["run", "--silent", "etl", "--", "--input", csv, "--out", outDir()]],
    clean,
  );
  await series(
    "tsx functions/etl/cli.ts (TypeScript at start)",
    () => ["npx", ["tsx", "functions/etl/cli.ts", "--input", csv, "--out", outDir()]],
    clean,
  );
  await time("npm", ["run", "--silent", "plan"]);
  await series("npm run plan (synth + all stacks side by side)", () => ["npm", ["run", "--silent", "plan"]]);
  rmSync(dir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});
