/**
 * Every deploy and destroy command a user is told to run, where they are told it: the README, docs/, the
 * CI workflow, the "Training finished" email and the scripts' own usage and hints. A new documented
 * command is picked up here, so the operator-path tests run it or fail.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { scoredEvent } from "../../functions/batch/scoring";
import { compareModels, modelScores } from "../../functions/batch/scoring-report";
import { trainingFinishedEvent } from "../../functions/notify/report";
import { DEPLOY_INFERENCE_HINT } from "../../scripts/classify/target";
import { USAGE } from "../../scripts/stacks";
import { IDLE_ALARM_COMMANDS } from "../../stacks/constructs/serving-alarms";
import { ARN, classifier, NAME, RUN_ID } from "../fixtures/notify/classifiers";
import { repoRoot } from "./project-copy";

export interface DocumentedCommand {
  readonly source: string;
  /** As written, with placeholders such as <ARN from the email>. */
  readonly written: string;
}

const COMMAND = /(?:npm run (?:deploy|destroy)|npx cdktf (?:deploy|destroy))(?: +(?! )[^\n`"'#|()]*)?/g;

function commandsIn(source: string, text: string): DocumentedCommand[] {
  return [...text.matchAll(COMMAND)].map((match) => ({
    source,
    // Two spaces or more start an aligned comment in the guides' code blocks.
    written: (match[0].split(/ {2,}/)[0] as string).replace(/[.,;:]+$/, "").trim(),
  }));
}

/** The comparison email of a better new version, whose promotion command is the fixture's ARN. */
export function modelComparedEmail(): string {
  const answers = (right: boolean) =>
    ["Network", "Desk"].map((actual) => ({ actual, predicted: right ? actual : "Network", score: 0.9 }));
  const better = modelScores(ARN, answers(true), 0, 0.9);
  const served = modelScores(ARN.replace(/version\/.*$/, "version/v0"), answers(false), 0, 0.9);
  return scoredEvent("itsr-data", RUN_ID, better, compareModels(better, served), "reports/x/comparison.html")
    .text;
}

/** The email as an operator receives it for a finished training run. */
export function trainingFinishedEmail(): string {
  return trainingFinishedEvent({
    runId: RUN_ID,
    name: NAME,
    arn: ARN,
    pricePerHour: 3,
    reportsPrefix: "reports/",
    properties: classifier(),
  }).text;
}

export function documentedCommands(): DocumentedCommand[] {
  const read = (path: string) => readFileSync(join(repoRoot, path), "utf8");
  const guides = [
    "README.md",
    ...readdirSync(join(repoRoot, "docs"))
      .filter((file) => file.endsWith(".md"))
      .map((file) => join("docs", file)),
  ];
  const workflows = readdirSync(join(repoRoot, ".github", "workflows")).map((f) =>
    join(".github", "workflows", f),
  );
  const all = [
    ...guides.flatMap((path) => commandsIn(path, read(path))),
    ...workflows.flatMap((path) => commandsIn(path, read(path))),
    ...commandsIn("training-finished email", trainingFinishedEmail()),
    ...commandsIn("model-compared email", modelComparedEmail()),
    ...commandsIn("npm run deploy -- --help", USAGE.deploy),
    ...commandsIn("npm run destroy -- --help", USAGE.destroy),
    ...commandsIn("npm run classify hint", DEPLOY_INFERENCE_HINT),
    ...commandsIn("endpoint-idle alarm", IDLE_ALARM_COMMANDS),
  ];
  const seen = new Set<string>();
  return all.filter((command) => {
    const key = `${command.source}\0${command.written}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Values for the placeholders the guides use, so that a command runs as a user would type it. */
export function asTyped(written: string, arn = ARN): string {
  return written
    .replace(/<(?:new |previous )?ARN[^>]*>|<arn>/gi, arn)
    .replace(/arn:aws:comprehend:[^ ]*<name>[^ ]*/g, arn)
    .replace(/\$STACKS\b/g, "network training");
}

export interface CommandShape {
  readonly tool: "npm" | "cdktf";
  readonly verb: "deploy" | "destroy";
  readonly stacks: string[];
  readonly classifierArn: string | undefined;
  readonly flags: string[];
}

export function shapeOf(typed: string): CommandShape {
  const words = typed.split(/\s+/).filter(Boolean);
  const tool = words[0] === "npx" ? "cdktf" : "npm";
  const verb = words[2] as "deploy" | "destroy";
  const rest = words.slice(3).filter((word) => word !== "--");
  const stacks: string[] = [];
  const flags: string[] = [];
  let classifierArn: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i] as string;
    if (word === "--classifier-arn") classifierArn = rest[++i];
    else if (word.startsWith("-")) flags.push(word);
    else stacks.push(word);
  }
  return { tool, verb, stacks, classifierArn, flags };
}
