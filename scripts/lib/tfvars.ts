/**
 * The user's variables file: which one a command uses, and setting one variable in it without disturbing the
 * rest (the classifier ARN from the training email, for the first deploy and for every retrain or rollback).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";

export const USER_TFVARS = "terraform.tfvars";
export const EXAMPLE_TFVARS = "terraform.tfvars.example";

export class TfvarsError extends Error {
  override readonly name = "TfvarsError";
}

export interface ChosenVarFile {
  readonly path: string;
  /** How the file was chosen, for the line that tells the user which file a command used. */
  readonly reason: "given" | "yours" | "example";
}

/**
 * The variables file a command uses: the one given, else the project's terraform.tfvars; the example only
 * where `allowExample` (the offline plan review of a fresh clone) and there is no terraform.tfvars.
 */
export function chooseVarFile(root: string, given: string | undefined, allowExample: boolean): ChosenVarFile {
  if (given) {
    const path = resolve(root, given);
    if (!existsSync(path)) throw new TfvarsError(`variables file ${given} not found`);
    return { path, reason: "given" };
  }
  const yours = join(root, USER_TFVARS);
  if (existsSync(yours)) return { path: yours, reason: "yours" };
  if (allowExample) return { path: join(root, EXAMPLE_TFVARS), reason: "example" };
  throw new TfvarsError(
    `${USER_TFVARS} not found in ${root}: create it with "cp ${EXAMPLE_TFVARS} ${USER_TFVARS}" and set notification_email`,
  );
}

export function describeVarFile(root: string, chosen: ChosenVarFile): string {
  const name = relative(root, chosen.path) || chosen.path;
  if (chosen.reason === "example") return `${name} (no ${USER_TFVARS} yet, so the example values)`;
  return name;
}

const assignment = (name: string) => new RegExp(`^[ \\t]*${name}[ \\t]*=.*$`, "m");

/** Whether the file assigns the variable (a commented-out line does not count). */
export function setsVariable(content: string, name: string): boolean {
  return assignment(name).test(content);
}

/** HCL for a string value: the ARN and similar values need no escapes beyond quotes and backslashes. */
export function hclString(value: string): string {
  return JSON.stringify(value).replace(/\$\{/g, "$$${").replace(/%\{/g, "%%{");
}

/** The file with `name = value` replacing an existing assignment in place, or appended. */
export function withVariable(content: string, name: string, hclValue: string): string {
  const line = `${name} = ${hclValue}`;
  if (setsVariable(content, name)) return content.replace(assignment(name), line);
  const separator = content === "" || content.endsWith("\n") ? "" : "\n";
  return `${content}${separator}${line}\n`;
}

/** Reads the string value a file assigns, for telling the user what a change replaced. */
export function readStringVariable(content: string, name: string): string | undefined {
  const match = new RegExp(`^[ \\t]*${name}[ \\t]*=[ \\t]*"([^"]*)"`, "m").exec(content);
  return match?.[1];
}

/** A bool the file assigns, or undefined when it does not (Terraform's default applies). */
export function readBoolVariable(content: string, name: string): boolean | undefined {
  const match = new RegExp(`^[ \\t]*${name}[ \\t]*=[ \\t]*(true|false)\\b`, "m").exec(content);
  return match ? match[1] === "true" : undefined;
}

export function setStringVariable(path: string, name: string, value: string): { previous?: string } {
  const content = readFileSync(path, "utf8");
  const previous = readStringVariable(content, name);
  writeFileSync(path, withVariable(content, name, hclString(value)));
  return previous === undefined ? {} : { previous };
}
