/** The project's guides (the README and every page under docs/), read as a user reads them. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const repoRoot = join(__dirname, "..", "..");

/** A file of the project, by its path from the project's root. */
export const readProjectFile = (path: string) => readFileSync(join(repoRoot, path), "utf8");

export const GUIDES = [
  "README.md",
  ...readdirSync(join(repoRoot, "docs"))
    .filter((file) => file.endsWith(".md"))
    .map((file) => join("docs", file)),
];
