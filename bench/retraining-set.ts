/**
 * Building the retraining set at scale: a served run of --documents documents (its training file and a tenth
 * as its test file) and --corrections corrections (half relabel documents the model knew, half are new texts),
 * through buildRetrainingSet as the ETL function runs it, in a process of its own so that peak RSS is the
 * build's. The inputs are generated first and not timed.
 *
 *   npm run bench:retraining-set [-- --documents 1000000 --corrections 20000 --runs 3]
 */
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { buildRetrainingSet, type LabelledCorrection } from "../functions/etl/retraining-set";
import { benchArgs, wholeNumber } from "./args";

const USAGE = `Usage: npm run bench:retraining-set -- [--documents 1000000] [--corrections 20000] [--runs 3]

Generates a served run of --documents documents over 40 labels (a tenth of them its test set) and
--corrections corrections, then builds the retraining set --runs times, each in its own process, and prints
the median and worst time and peak RSS.`;

const LABELS = Array.from({ length: 40 }, (_, i) => `Group ${String(i).padStart(2, "0")}`);
const WORDS =
  "printer vpn outlook password reset laptop monitor access share drive license install error crash slow network wifi badge phone teams meeting calendar sap invoice".split(
    " ",
  );

/** A ticket of about 350 characters, different for every index. */
function text(i: number): string {
  const words: string[] = [`Ticket ${i}:`];
  let seed = i * 2654435761;
  while (words.join(" ").length < 350) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    words.push(WORDS[seed % WORDS.length] as string);
  }
  return words.join(" ");
}

async function writeLines(path: string, count: number, line: (i: number) => string): Promise<void> {
  const out = createWriteStream(path);
  for (let i = 0; i < count; i++) {
    if (!out.write(`${line(i)}\n`)) await once(out, "drain");
  }
  await new Promise<void>((resolve) => out.end(resolve));
}

async function generate(dir: string, documents: number): Promise<void> {
  const testCount = Math.floor(documents / 10);
  await writeLines(
    join(dir, "served.csv"),
    documents - testCount,
    (i) => `${LABELS[i % LABELS.length]},${text(i)}`,
  );
  await writeLines(join(dir, "served.test.csv"), testCount, (i) => {
    const n = documents - testCount + i;
    return `${LABELS[n % LABELS.length]},${text(n)}`;
  });
}

function* corrections(documents: number, count: number): Generator<LabelledCorrection> {
  for (let i = 0; i < count; i++) {
    const known = i % 2 === 0;
    yield {
      text: known ? text((i * 37) % documents) : `New kind of request ${i}: ${text(documents + i)}`,
      label: LABELS[(i * 7) % LABELS.length] as string,
      corrected_at: new Date(Date.UTC(2026, 11, 1) + i * 1000).toISOString(),
    };
  }
}

async function child(dir: string, documents: number, count: number): Promise<void> {
  const outDir = join(dir, `out-${process.pid}`);
  mkdirSync(outDir);
  const started = performance.now();
  const report = await buildRetrainingSet({
    served: {
      classifier_arn:
        "arn:aws:comprehend:us-east-1:111122223333:document-classifier/itsr--bench/version/bench",
      classifier_name: "itsr--bench",
      run_id: "bench",
    },
    trainingFiles: [join(dir, "served.csv")],
    testFile: join(dir, "served.test.csv"),
    corrections: corrections(documents, count),
    outDir,
    settings: { minDocsPerLabel: 50, maxDocBytes: 10_000, testShare: 0.1 },
  });
  const seconds = (performance.now() - started) / 1000;
  rmSync(outDir, { recursive: true, force: true });
  console.log(
    JSON.stringify({
      seconds,
      peakMb: process.resourceUsage().maxRSS / 1024,
      documents: report.document_count,
      retraining: report.retraining,
    }),
  );
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function main(): Promise<void> {
  if (process.env.BENCH_RETRAINING_CHILD) {
    await child(
      process.env.BENCH_RETRAINING_CHILD,
      Number(process.env.BENCH_DOCUMENTS),
      Number(process.env.BENCH_CORRECTIONS),
    );
    return;
  }
  const args = benchArgs(USAGE, {
    documents: { type: "string", default: "1000000" },
    corrections: { type: "string", default: "20000" },
    runs: { type: "string", default: "3" },
  });
  const documents = wholeNumber("documents", args.documents, 100, USAGE);
  const count = wholeNumber("corrections", args.corrections, 0, USAGE);
  const runs = wholeNumber("runs", args.runs, 1, USAGE);
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? "unknown CPU"}, node ${process.version}`);
  console.log(
    `command: npm run bench:retraining-set -- --documents ${documents} --corrections ${count} --runs ${runs}`,
  );
  const dir = mkdtempSync(join(tmpdir(), "bench-retraining-"));
  try {
    await generate(dir, documents);
    const results: {
      seconds: number;
      peakMb: number;
      documents: number;
      retraining: Record<string, unknown>;
    }[] = [];
    for (let run = 0; run < runs; run++) {
      const child = spawnSync(process.execPath, [...process.execArgv, __filename], {
        env: {
          ...process.env,
          BENCH_RETRAINING_CHILD: dir,
          BENCH_DOCUMENTS: String(documents),
          BENCH_CORRECTIONS: String(count),
        },
        encoding: "utf8",
      });
      if (child.status !== 0) throw new Error(child.stderr);
      results.push(JSON.parse(child.stdout.trim().split("\n").pop() as string));
    }
    const last = results[results.length - 1];
    console.log(
      `retraining set from ${documents.toLocaleString("en-US")} documents and ${count.toLocaleString("en-US")} corrections: ` +
        `median ${median(results.map((r) => r.seconds)).toFixed(1)} s (worst ${Math.max(...results.map((r) => r.seconds)).toFixed(1)} s), ` +
        `peak RSS median ${Math.round(median(results.map((r) => r.peakMb)))} MB (worst ${Math.round(Math.max(...results.map((r) => r.peakMb)))} MB) over ${runs} runs`,
    );
    console.log(
      `result: ${last?.documents.toLocaleString("en-US")} training documents; ${JSON.stringify(last?.retraining)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`bench:retraining-set failed: ${(error as Error).message}`);
  process.exit(1);
});
