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
const { existsSync, readFileSync, statSync } = require("node:fs");
const { join, resolve } = require("node:path");

const root = resolve(__dirname, "..");
/** Each tool: its entry (exporting runCli(argv) => Promise<number>) and the worker scripts it starts. */
const TOOLS = {
  etl: { entry: "functions/etl/cli.ts", workers: ["functions/etl/bzip2/bunzip.worker.ts"] },
};

function isFresh(outDir) {
  const metaPath = join(outDir, "meta.json");
  if (!existsSync(metaPath) || !existsSync(join(outDir, "index.cjs"))) return false;
  const built = statSync(join(outDir, "index.cjs")).mtimeMs;
  const inputs = JSON.parse(readFileSync(metaPath, "utf8"));
  return inputs.every(
    (input) => existsSync(join(root, input)) && statSync(join(root, input)).mtimeMs <= built,
  );
}

function build(tool, outDir) {
  const esbuild = require("esbuild");
  const common = {
    bundle: true,
    platform: "node",
    target: "node22",
    sourcemap: true,
    metafile: true,
    logLevel: "warning",
    absWorkingDir: root,
  };
  const main = esbuild.buildSync({
    ...common,
    entryPoints: { index: tool.entry },
    outdir: outDir,
    format: "cjs",
    outExtension: { ".js": ".cjs" },
    // Only the TypeScript fallback for running from source needs it; the bundle has its worker beside it.
    external: ["tsx/cjs", "./bunzip.worker.mjs"],
  });
  const workers = tool.workers.map((worker) =>
    esbuild.buildSync({
      ...common,
      entryPoints: { [worker.split("/").pop().replace(/\.ts$/, "")]: worker },
      outdir: outDir,
      format: "esm",
      outExtension: { ".js": ".mjs" },
      banner: {
        js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
      },
    }),
  );
  const inputs = new Set([main, ...workers].flatMap((result) => Object.keys(result.metafile.inputs)));
  require("node:fs").writeFileSync(
    join(outDir, "meta.json"),
    JSON.stringify([...inputs].filter((i) => !i.includes("node_modules"))),
  );
}

const [name, ...args] = process.argv.slice(2);
const tool = TOOLS[name];
if (!tool) {
  process.stderr.write(`usage: node scripts/run-cli.cjs <${Object.keys(TOOLS).join("|")}> [arguments]\n`);
  process.exit(2);
}
const outDir = join(root, "dist", "cli", name);
if (!isFresh(outDir)) build(tool, outDir);
require(join(outDir, "index.cjs"))
  .runCli(args)
  .then((code) => {
    process.exitCode = code;
  });
