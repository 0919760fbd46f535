/**
 * Makes sure terraform.tfvars exists before an online plan or a deploy: the repository's own file wins;
 * otherwise the TFVARS environment variable (a CI variable) is written to it. Never overwrites a file.
 */
import { existsSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

export function ensureTfvars(path: string, content: string | undefined): "kept" | "written" {
  if (existsSync(path)) return "kept";
  if (!content?.trim()) {
    throw new Error(
      `${path} does not exist and TFVARS is empty: commit a terraform.tfvars or set TFVARS (see terraform.tfvars.example)`,
    );
  }
  writeFileSync(path, content.endsWith("\n") ? content : `${content}\n`, { mode: 0o600 });
  return "written";
}

export const USAGE = `Usage: npm run tfvars

For CI: makes sure terraform.tfvars exists before an online plan or a deploy. A committed terraform.tfvars is
kept; otherwise the TFVARS environment variable (a repository variable holding the file's contents) is
written to it. Never overwrites a file. On your own machine, copy terraform.tfvars.example instead.`;

if (require.main === module) {
  if (process.argv.includes("--help") || process.argv.includes("-h")) {
    console.log(USAGE);
    process.exit(0);
  }
  const path = resolve(__dirname, "..", "terraform.tfvars");
  try {
    console.log(`terraform.tfvars: ${ensureTfvars(path, process.env.TFVARS)}`);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
