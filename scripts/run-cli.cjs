#!/usr/bin/env node
/**
 * Starts a command-line tool from prebuilt JavaScript: TypeScript transpiled at every start cost the local
 * ETL over a second before its first line of output. The bundle in dist/cli/<tool>/ is rebuilt with esbuild
 * only when one of the files it was built from changed since (esbuild's metafile lists them).
 *
 *   node scripts/run-cli.cjs <tool> [arguments]
 *
 * Plain CommonJS on purpose: it must start without a transpiler.
 */
const { existsSync, readFileSync, statSync, writeFileSync } = require("node:fs");
const { basename, join, resolve } = require("node:path");
const { pathToFileURL } = require("node:url");

const root = resolve(__dirname, "..");
/** Each tool: its entry (exporting runCli(argv) => Promise<number>) and the worker scripts it starts. */
const TOOLS = {
  etl: { entry: "functions/etl/cli.ts", workers: ["functions/etl/bzip2/bunzip.worker.ts"] },
  evaluate: { entry: "functions/evaluation/cli.ts", workers: ["functions/etl/bzip2/bunzip.worker.ts"] },
};

function isFresh(outDir) {
  const metaPath = join(outDir, "meta.json");
  if (!existsSync(metaPath) || !existsSync(join(outDir, "index.mjs"))) return false;
  const built = statSync(join(outDir, "index.mjs")).mtimeMs;
  const inputs = JSON.parse(readFileSync(metaPath, "utf8"));
  return inputs.every(
    (input) => existsSync(join(root, input)) && statSync(join(root, input)).mtimeMs <= built,
  );
}

/** ES modules, as the Lambda bundles: some dependencies (Vega) use top-level await, which CommonJS cannot. */
function build(tool, outDir) {
  const esbuild = require("esbuild");
  const result = esbuild.buildSync({
    entryPoints: {
      index: tool.entry,
      ...Object.fromEntries(tool.workers.map((w) => [basename(w, ".ts"), w])),
    },
    outdir: outDir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    target: "node22",
    format: "esm",
    sourcemap: true,
    metafile: true,
    logLevel: "warning",
    absWorkingDir: root,
    // Only the TypeScript fallback for running from source needs tsx; the bundle has its worker beside it.
    external: ["tsx/cjs", "./bunzip.worker.mjs"],
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  });
  const inputs = Object.keys(result.metafile.inputs).filter((input) => !input.includes("node_modules"));
  writeFileSync(join(outDir, "meta.json"), JSON.stringify(inputs));
}

const [name, ...args] = process.argv.slice(2);
const tool = TOOLS[name];
if (!tool) {
  process.stderr.write(`usage: node scripts/run-cli.cjs <${Object.keys(TOOLS).join("|")}> [arguments]\n`);
  process.exit(2);
}
const outDir = join(root, "dist", "cli", name);
if (!isFresh(outDir)) build(tool, outDir);
import(pathToFileURL(join(outDir, "index.mjs")).href)
  .then((bundle) => bundle.runCli(args))
  .then((code) => {
    process.exitCode = code;
  });
