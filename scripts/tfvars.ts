/**
 * Makes sure terraform.tfvars exists before an online plan or a deploy: the repository's own file wins;
 * otherwise the TFVARS environment variable (a CI variable) is written to it. Never overwrites a file.
 */
import { existsSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { CommandFailure, type CommandSpec, runAsMain } from "./lib/command";

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

export const TFVARS_COMMAND: CommandSpec<Record<string, never>> = {
  usage: USAGE,
  options: {},
  run: (_args, io) => {
    const path = resolve(__dirname, "..", "terraform.tfvars");
    try {
      io.out(`terraform.tfvars: ${ensureTfvars(path, process.env.TFVARS)}`);
    } catch (error) {
      throw new CommandFailure((error as Error).message, 1, { cause: error });
    }
  },
};

if (require.main === module) runAsMain(TFVARS_COMMAND);
