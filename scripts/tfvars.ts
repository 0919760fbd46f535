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

if (require.main === module) {
  const path = resolve(__dirname, "..", "terraform.tfvars");
  try {
    console.log(`terraform.tfvars: ${ensureTfvars(path, process.env.TFVARS)}`);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
