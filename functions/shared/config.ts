import { type Environment, EnvironmentError, readEnvironment, splitList } from "../../contract/environment";

/** Raised at cold start when the function's environment lacks a setting the stack should have provided. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/**
 * Reads every named variable at once so a misconfigured function reports all missing settings in one cold
 * start instead of one per redeploy.
 */
export function readConfig<const K extends string>(
  names: readonly K[],
  env: NodeJS.ProcessEnv = process.env,
): Readonly<Record<K, string>> {
  const missing = names.filter((name) => !env[name]?.trim());
  if (missing.length > 0) {
    throw new ConfigError(`Missing required environment variable(s): ${missing.join(", ")}`);
  }
  return Object.fromEntries(names.map((name) => [name, (env[name] as string).trim()])) as Record<K, string>;
}

/** Reads a function's environment contract (contract/environment.ts), failing the cold start by name. */
export function readContract<C extends Parameters<typeof readEnvironment>[0]>(
  contract: C,
  env: NodeJS.ProcessEnv = process.env,
): Environment<C> {
  try {
    return readEnvironment(contract, env);
  } catch (error) {
    if (error instanceof EnvironmentError) throw new ConfigError(error.message, { cause: error });
    throw error;
  }
}

/** Parses a share from 0 to 1 (0, the default, meaning no bar). */
const VPC_ID = /^[-0-9a-zA-Z]{1,32}$/;

/** Reads a list of subnet or security group ids the stack joined with commas. */
export function readIdList(name: string, value: string, max: number): string[] {
  const ids = splitList(value);
  const bad = ids.filter((id) => !VPC_ID.test(id));
  if (ids.length === 0 || ids.length > max || bad.length > 0) {
    throw new ConfigError(
      `${name} must be 1-${max} comma-separated ids of [-0-9a-zA-Z]${bad.length > 0 ? `; invalid: ${bad.join(", ")}` : ""}, got "${value}"`,
    );
  }
  return ids;
}

export function readFraction(name: string, value: string | undefined): number {
  if (value === undefined || value.trim() === "") return 0;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0 || parsed > 1) {
    throw new ConfigError(`${name} must be a number from 0 to 1, got "${value}"`);
  }
  return parsed;
}

/** Parses a whole-number setting that may be 0 (off). */
export function readNonNegativeInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === "") return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) {
    throw new ConfigError(`${name} must be a whole number (0 turns it off), got "${value}"`);
  }
  return parsed;
}

/** Parses a positive integer setting, failing loudly instead of silently falling back to a default. */
export function readPositiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value.trim() === "") return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) {
    throw new ConfigError(`${name} must be a positive integer, got "${value}"`);
  }
  return parsed;
}

/** Parses "true" or "false" (absent: false), as the stack writes a bool variable. */
export function readBool(name: string, value: string | undefined): boolean {
  if (value === undefined || value.trim() === "") return false;
  if (value === "true" || value === "false") return value === "true";
  throw new ConfigError(`${name} must be true or false, got "${value}"`);
}
