/**
 * Starts a command that reads the stacks' state: the state's location (local files, or the S3 backend the
 * environment names) is resolved first, and a mistake there is one `error:` line and exit 2.
 */
import type { ParseArgsOptionsConfig } from "node:util";
import { type CommandSpec, runAsMain } from "./command";
import { projectStateSource, type StateSource } from "./state";
import { projectRoot } from "./synthesized-stacks";

export function runWithProjectState<O extends ParseArgsOptionsConfig>(
  build: (state: StateSource) => CommandSpec<O>,
  env: NodeJS.ProcessEnv = process.env,
): void {
  let state: StateSource;
  try {
    state = projectStateSource(projectRoot, env);
  } catch (error) {
    console.error(`error: ${(error as Error).message}`);
    process.exitCode = 2;
    return;
  }
  runAsMain(build(state));
}
