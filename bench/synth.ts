/**
 * How long `npm run synth` takes (the app only: functions are bundled beforehand), and what the
 * @cdktf/provider-aws barrel import would cost compared with the deep imports the project uses.
 * Run: npm run bench:synth [-- --runs 5]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { benchArgs, requireGnuTime, wholeNumber } from "./args";

const root = resolve(__dirname, "..");
const USAGE = `Usage: npm run bench:synth -- [--runs 5]

Times the synth of all stacks and the cost of importing @cdktf/provider-aws's barrel against deep imports
(wall time and peak RSS, median of --runs). Needs GNU time (/usr/bin/time).`;
const runs = wholeNumber("runs", benchArgs(USAGE, { runs: { type: "string", default: "5" } }).runs, 1, USAGE);
requireGnuTime();

/** Wall time and peak RSS of a command, through GNU time. */
function measure(
  command: string[],
  env: NodeJS.ProcessEnv = process.env,
): { seconds: number; peakMb: number } {
  const result = spawnSync("/usr/bin/time", ["-f", "%e %M", ...command], {
    cwd: root,
    env,
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`${command.join(" ")} failed:\n${result.stderr}`);
  const [seconds, kb] = (result.stderr.trim().split("\n").pop() ?? "").split(" ").map(Number);
  return { seconds: seconds ?? Number.NaN, peakMb: (kb ?? Number.NaN) / 1024 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function report(label: string, samples: { seconds: number; peakMb: number }[]): void {
  const seconds = median(samples.map((s) => s.seconds));
  const peak = median(samples.map((s) => s.peakMb));
  console.log(
    `${label.padEnd(44)} median ${seconds.toFixed(2)} s  peak RSS ${peak.toFixed(0)} MB  (${samples.length} runs)`,
  );
}

const node = join(root, "node_modules", ".bin", "node");
const tsx = join(root, "node_modules", ".bin", "tsx");
console.log(
  `machine: ${cpus().length} x ${cpus()[0]?.model ?? "unknown CPU"}, node ${spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim()}`,
);

const synth = Array.from({ length: runs }, () =>
  measure([tsx, "main.ts"], { ...process.env, CDKTF_OUTDIR: mkdtempSync(join(tmpdir(), "bench-synth-")) }),
);
report("synth of all stacks (tsx main.ts)", synth);

const deep = Array.from({ length: runs }, () =>
  measure([
    node,
    "-e",
    "require('@cdktf/provider-aws/lib/lambda-function'); require('@cdktf/provider-aws/lib/vpc')",
  ]),
);
report("import: deep (lib/lambda-function, lib/vpc)", deep);
const barrel = Array.from({ length: runs }, () => measure([node, "-e", "require('@cdktf/provider-aws')"]));
report("import: package barrel (@cdktf/provider-aws)", barrel);
console.log(
  `barrel vs deep: ${(median(barrel.map((s) => s.seconds)) / median(deep.map((s) => s.seconds))).toFixed(1)}x time, ` +
    `${(median(barrel.map((s) => s.peakMb)) / median(deep.map((s) => s.peakMb))).toFixed(1)}x memory`,
);
