/**
 * Bundles every function under functions/<name>/ into dist/functions/<name>/ before synth, so the CDKTF app
 * only packages ready-made directories. Entry points: handler.ts -> index.mjs (the Lambda handler) and any
 * *.worker.ts -> <name>.worker.mjs (worker threads the handler starts).
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { build } from "esbuild";

const root = resolve(__dirname, "..");
const functionsDir = join(root, "functions");
export const distDir = join(root, "dist", "functions");

// Bundled ESM still meets CommonJS dependencies that call require() for Node built-ins.
const banner = {
  js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
};

export function listFunctionEntries(): { name: string; entryPoints: Record<string, string> }[] {
  return readdirSync(functionsDir, { withFileTypes: true })
    .filter((dir) => dir.isDirectory() && existsSync(join(functionsDir, dir.name, "handler.ts")))
    .map((dir) => {
      // Workers may live in a subfolder (the ETL's codec); their bundles sit next to index.mjs either way.
      const files = readdirSync(join(functionsDir, dir.name), { recursive: true, encoding: "utf8" });
      const entryPoints: Record<string, string> = { index: join(functionsDir, dir.name, "handler.ts") };
      for (const file of files.filter((f) => f.endsWith(".worker.ts"))) {
        entryPoints[basename(file).replace(/\.ts$/, "")] = join(functionsDir, dir.name, file);
      }
      return { name: dir.name, entryPoints };
    });
}

async function main(): Promise<void> {
  const started = performance.now();
  rmSync(distDir, { recursive: true, force: true });
  const functions = listFunctionEntries();
  await Promise.all(
    functions.map(({ name, entryPoints }) =>
      build({
        entryPoints,
        outdir: join(distDir, name),
        outExtension: { ".js": ".mjs" },
        bundle: true,
        platform: "node",
        target: "node22",
        format: "esm",
        minify: true,
        sourcemap: true,
        sourcesContent: false,
        legalComments: "none",
        banner,
        logLevel: "warning",
      }),
    ),
  );
  const ms = Math.round(performance.now() - started);
  console.log(`bundled ${functions.length} function(s) into dist/functions in ${ms} ms`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
