/**
 * Arguments of the benchmark scripts, in the shape of every command of the project (scripts/lib/command.ts):
 * `--help` prints the usage and exits 0 before anything runs, and a mistake is `error: <message>` with the
 * usage (exit 2), never a stack trace.
 */
import { existsSync } from "node:fs";
import { type ParseArgsConfig, parseArgs } from "node:util";

export function benchArgs<T extends NonNullable<ParseArgsConfig["options"]>>(usage: string, options: T) {
  try {
    const parsed = parseArgs({
      args: process.argv.slice(2),
      strict: true,
      allowPositionals: false,
      options: { ...options, help: { type: "boolean", short: "h" } },
    });
    if ((parsed.values as { help?: boolean }).help) {
      console.log(usage);
      process.exit(0);
    }
    return parsed.values as unknown as Record<keyof T, string | undefined>;
  } catch (error) {
    console.error(`error: ${(error as Error).message}\n\n${usage}`);
    process.exit(2);
  }
}

/** A whole number argument of at least `min`, or exit 2 saying which. */
export function wholeNumber(name: string, value: unknown, min: number, usage: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    console.error(`error: --${name} must be a whole number of at least ${min}, got "${value}"\n\n${usage}`);
    process.exit(2);
  }
  return n;
}

/** GNU time measures wall time and peak RSS of whole processes; Debian's package is `time`. */
export function requireGnuTime(): void {
  if (!existsSync("/usr/bin/time")) {
    console.error(
      "error: GNU time (/usr/bin/time) measures the runs' peak memory: install it (Debian/Ubuntu: apt-get install time)",
    );
    process.exit(2);
  }
}
