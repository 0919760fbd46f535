/**
 * The ETL function's baseline under its own budget, for many labels: generated training files of L labels x D
 * documents, run as the function runs them (its default sample, a quarter of its 4,096 MB for the weights, its
 * time left after the ETL), each in a process of its own so that peak RSS is the baseline's.
 *
 *   npm run bench:baseline [-- --labels 96,300,1000 --documents 50]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_BASELINE_MAX_DOCUMENTS } from "../contract/environment";
import { BaselineSkipped, runBaseline } from "../functions/evaluation/baseline";
import { EvaluationTimeout } from "../functions/evaluation/evaluate";
import { benchArgs, wholeNumber } from "./args";

const USAGE = `Usage: npm run bench:baseline -- [--labels 96,300,1000] [--documents 50]

Runs the ETL function's baseline on generated training files of each number of labels with --documents each,
with the function's budget (4,096 MB, a quarter for the weights; 10 minutes), and prints its time, peak RSS
and outcome: evaluated, or skipped with the reason the email gives.`;

const FUNCTION_MEMORY_MB = 4096;
const TIME_LEFT_MS = 10 * 60 * 1000;

async function child(dir: string, labels: number): Promise<void> {
  const started = performance.now();
  let outcome: string;
  try {
    const artifacts = await runBaseline(dir, {
      maxDocuments: DEFAULT_BASELINE_MAX_DOCUMENTS,
      title: "bench",
      render: async () => ({ html: "", svg: "" }),
      budget: {
        labels,
        memoryBytes: FUNCTION_MEMORY_MB * 1024 * 1024 * 0.25,
        deadline: Date.now() + TIME_LEFT_MS,
      },
    });
    outcome = `evaluated ${artifacts.summary.documents} documents, macro-F1 ${artifacts.summary.macro_f1.toFixed(3)}`;
  } catch (error) {
    if (!(error instanceof BaselineSkipped || error instanceof EvaluationTimeout)) throw error;
    outcome = `skipped: ${error.message}`;
  }
  const seconds = (performance.now() - started) / 1000;
  const peak = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ seconds, peakMb: peak, outcome }));
}

function trainingFile(dir: string, labels: number, documents: number): void {
  const lines: string[] = [];
  for (let label = 0; label < labels; label++) {
    for (let d = 0; d < documents; d++) {
      // Each label has words of its own and shares others, as real ticket groups do.
      lines.push(
        `GROUP${label},issue ${d} with system${label} and service${label % 17} after update ${d % 9}`,
      );
    }
  }
  writeFileSync(join(dir, "tickets.csv"), `${lines.join("\n")}\n`);
}

async function main(): Promise<void> {
  if (process.env.BENCH_BASELINE_CHILD) {
    await child(process.env.BENCH_BASELINE_CHILD, Number(process.env.BENCH_BASELINE_LABELS));
    return;
  }
  const args = benchArgs(USAGE, {
    labels: { type: "string", default: "96,300,1000" },
    documents: { type: "string", default: "50" },
  });
  const documents = wholeNumber("documents", args.documents, 1, USAGE);
  const labelCounts = String(args.labels)
    .split(",")
    .map((value) => wholeNumber("labels", value, 2, USAGE));
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? "unknown CPU"}, node ${process.version}`);
  console.log(
    `command: npm run bench:baseline -- --labels ${labelCounts.join(",")} --documents ${documents}`,
  );
  for (const labels of labelCounts) {
    const dir = mkdtempSync(join(tmpdir(), "bench-baseline-"));
    try {
      trainingFile(dir, labels, documents);
      const run = spawnSync(process.execPath, [...process.execArgv, __filename], {
        env: { ...process.env, BENCH_BASELINE_CHILD: dir, BENCH_BASELINE_LABELS: String(labels) },
        encoding: "utf8",
      });
      if (run.status !== 0) throw new Error(run.stderr);
      const result = JSON.parse(run.stdout.trim().split("\n").pop() as string);
      console.log(
        `${labels} labels x ${documents} documents: ${result.seconds.toFixed(1)} s, peak RSS ${Math.round(result.peakMb)} MB; ${result.outcome}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

main().catch((error: unknown) => {
  console.error(`bench:baseline failed: ${(error as Error).message}`);
  process.exit(1);
});
