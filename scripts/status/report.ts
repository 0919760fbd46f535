import {
  type ActiveHours,
  activeWindow,
  describeActiveHours,
  formatLocal,
} from "../../contract/active-hours";
/**
 * Where a deployment stands, as a person reads it: pure functions of the facts `npm run status` gathered, so
 * that every state (nothing deployed, training, trained but not served, serving an older model) is tested.
 */
import type { RoutingThresholds } from "../../contract/scoring";
import type { Comparison } from "../../functions/batch/scoring-report";
import {
  ENDPOINT_PRICE_PER_INFERENCE_UNIT_HOUR,
  formatDuration,
  formatUsd,
} from "../../functions/pipeline-shared/pricing";

export interface RunFacts {
  readonly runId: string;
  readonly input?: string | undefined;
  readonly labels?: number | undefined;
  readonly documents?: number | undefined;
  readonly rejected?: string | undefined;
  readonly lastModified?: Date | undefined;
  /** The ETL's local baseline (reports/<run>/evaluation.json), when it ran. */
  readonly baselineMacroF1?: number | undefined;
  /** Comprehend's, from its own confusion matrix (reports/<run>/comprehend-evaluation.json). */
  readonly comprehendMacroF1?: number | undefined;
  /** The model scored on its test sample: per-label routing thresholds (reports/<run>/routing.json). */
  readonly routing?: RoutingThresholds | undefined;
  /** A new version against the served one on the same documents (reports/<run>/comparison.json). */
  readonly comparison?:
    | Pick<Comparison, "better" | "verdict" | "promote_command" | "new" | "served" | "documents">
    | undefined;
}

/** Coverage overall and per label, the labels that never route themselves named. */
function routingSummary(routing: RoutingThresholds): string[] {
  const labels = Object.entries(routing.labels).sort(([a], [b]) => a.localeCompare(b));
  const routed = labels.filter(([, l]) => l.threshold !== null);
  const never = labels.filter(([, l]) => l.threshold === null).map(([label]) => label);
  return [
    `    routes itself at ${percent(routing.target_precision)} precision: ${percent(routing.coverage)} of ${routing.sample_documents} scored tickets; ` +
      routed.map(([label, l]) => `${label} ${percent(l.coverage)}`).join(", ") +
      (never.length > 0 ? `; always to a person: ${never.join(", ")}` : ""),
  ];
}

export interface ClassifierFacts {
  readonly arn: string;
  readonly runId: string;
  readonly status: string;
  readonly message?: string | undefined;
  readonly submitted?: Date | undefined;
  readonly trainingStarted?: Date | undefined;
  readonly trainingEnded?: Date | undefined;
  readonly accuracy?: number | undefined;
  readonly macroF1?: number | undefined;
}

export interface EndpointFacts {
  readonly arn: string;
  readonly status: string;
  readonly modelArn?: string | undefined;
  readonly desiredModelArn?: string | undefined;
  readonly currentUnits?: number | undefined;
  readonly desiredUnits?: number | undefined;
  readonly message?: string | undefined;
}

export interface AlarmFacts {
  readonly name: string;
  readonly since?: Date | undefined;
  readonly reason?: string | undefined;
  /** The troubleshooting section its description links. */
  readonly link?: string | undefined;
}

export interface ReviewLoopFacts {
  /** Tickets waiting in review/queue/. */
  readonly queued: number;
  /** Correction objects under corrections/ (one per API or page answer, one per imported export). */
  readonly corrections: number;
}

export interface StatusFacts {
  readonly now: Date;
  readonly deployed: { data: boolean; network: boolean; training: boolean; inference: boolean };
  readonly bucket?: string | undefined;
  readonly runs: readonly RunFacts[];
  readonly classifiers: readonly ClassifierFacts[];
  readonly endpoint?: EndpointFacts | undefined;
  readonly trainingPricePerHour: number;
  /** The app's alarms in ALARM; undefined when the training stack (and with it the alarms) is not deployed. */
  readonly alarms?: readonly AlarmFacts[] | undefined;
  readonly dashboardUrl?: string | undefined;
  readonly reviewLoop?: ReviewLoopFacts | undefined;
  /** endpoint_active_hours, when the inference stack has them. */
  readonly activeHours?: ActiveHours | undefined;
}

const IN_FLIGHT = new Set(["SUBMITTED", "TRAINING"]);
const TRAINED = new Set(["TRAINED", "TRAINED_WITH_WARNING"]);

const percent = (value: number | undefined) => (value === undefined ? "n/a" : `${(value * 100).toFixed(1)}%`);
const day = (date: Date | undefined) => (date ? date.toISOString().replace(/\.\d{3}Z$/, "Z") : "?");

function trainingTime(c: ClassifierFacts, now: Date, price: number): string {
  if (!c.trainingStarted) return "";
  const end = c.trainingEnded ?? now;
  const ms = Math.max(0, end.getTime() - c.trainingStarted.getTime());
  const cost = (ms / 3_600_000) * price;
  return `${c.trainingEnded ? "trained in" : "training for"} ${formatDuration(ms)} (about ${formatUsd(cost)})`;
}

/** The newest trained classifier: what a deploy should serve unless the operator chose otherwise. */
export function newestTrained(classifiers: readonly ClassifierFacts[]): ClassifierFacts | undefined {
  return [...classifiers]
    .filter((c) => TRAINED.has(c.status))
    .sort((a, b) => (b.trainingEnded?.getTime() ?? 0) - (a.trainingEnded?.getTime() ?? 0))[0];
}

export function nextStep(facts: StatusFacts): string {
  const { deployed } = facts;
  if (!deployed.data || !deployed.network || !deployed.training) {
    const missing = (["data", "network", "training"] as const).filter((stack) => !deployed[stack]);
    return `Deploy the pipeline: npm run deploy -- ${missing.join(" ")}`;
  }
  const training = facts.classifiers.find((c) => IN_FLIGHT.has(c.status));
  if (facts.runs.length === 0 && facts.classifiers.length === 0) {
    return `Upload a dataset: aws s3 cp dataverse_files.zip s3://${facts.bucket ?? "<bucket>"}/raw_data/`;
  }
  if (training) {
    return `Wait for the "Training finished" email: ${training.runId} is ${training.status.toLowerCase()} (${trainingTime(training, facts.now, facts.trainingPricePerHour) || "not started yet"}).`;
  }
  const newest = newestTrained(facts.classifiers);
  if (!newest)
    return "No classifier has trained yet: read the latest report or the Training failed email, fix the data, upload again.";
  const deployNewest = `npm run deploy -- inference --classifier-arn ${newest.arn}`;
  const window = facts.activeHours && activeWindow(facts.now, facts.activeHours);
  if (deployed.inference && !facts.endpoint && facts.activeHours && window && !window.active) {
    return `Nothing: the endpoint is paused outside its active hours and the resume schedule creates it at ${formatLocal(window.nextStart, facts.activeHours.time_zone)}. To serve now, set endpoint_active_hours = null in terraform.tfvars and run npm run deploy -- inference.`;
  }
  if (!deployed.inference || !facts.endpoint) {
    return `Serve the newest classifier (${formatUsd(ENDPOINT_PRICE_PER_INFERENCE_UNIT_HOUR)} per inference unit per hour while it exists): ${deployNewest}`;
  }
  const endpoint = facts.endpoint;
  if (endpoint.status === "FAILED")
    return `The endpoint FAILED (${endpoint.message ?? "no message"}); see docs/troubleshooting.md, "Endpoint stuck or failed".`;
  if (endpoint.status !== "IN_SERVICE")
    return `The endpoint is ${endpoint.status}; check again in a few minutes: npm run status`;
  if (endpoint.modelArn !== newest.arn) {
    return `A newer classifier is trained than the one the endpoint serves; to move the endpoint to it in place: ${deployNewest}`;
  }
  return 'Classify: npm run classify -- "text". Stop the endpoint\'s charges when done: npm run destroy -- inference';
}

export function renderStatus(facts: StatusFacts): string {
  const lines: string[] = [];
  const stacks = (["data", "network", "training", "inference"] as const)
    .map((stack) => `${stack} ${facts.deployed[stack] ? "deployed" : "not deployed"}`)
    .join(", ");
  lines.push(`Stacks: ${stacks}`);
  if (facts.bucket) lines.push(`Bucket: s3://${facts.bucket}`);

  lines.push("", `Dataset runs (${facts.runs.length}):`);
  if (facts.runs.length === 0) lines.push("  none yet");
  for (const run of facts.runs) {
    const what = run.rejected
      ? `rejected: ${run.rejected}`
      : `${run.labels ?? "?"} labels, ${run.documents?.toLocaleString("en-US") ?? "?"} documents${run.baselineMacroF1 === undefined ? "" : `, baseline macro-F1 ${percent(run.baselineMacroF1)}`}${run.comprehendMacroF1 === undefined ? "" : `, Comprehend macro-F1 ${percent(run.comprehendMacroF1)}`}`;
    lines.push(
      `  ${run.runId}  ${day(run.lastModified)}  ${run.input ?? ""}  ${what}`.replace(/ {3,}/g, "  "),
    );
    if (run.routing) lines.push(...routingSummary(run.routing));
    if (run.comparison) {
      const c = run.comparison;
      lines.push(
        `    against the served version on ${c.documents} test documents: macro-F1 ${percent(c.new.macro_f1)} vs ${percent(c.served.macro_f1)}, routes itself ${percent(c.new.coverage)} vs ${percent(c.served.coverage)}: ${c.better ? "better" : "not better"}`,
        ...(c.promote_command ? [`    promote it: ${c.promote_command}`] : []),
      );
    }
  }

  lines.push("", `Classifiers (${facts.classifiers.length}):`);
  if (facts.classifiers.length === 0) lines.push("  none yet");
  for (const c of facts.classifiers) {
    const serving = facts.endpoint?.modelArn === c.arn ? "  <- served by the endpoint" : "";
    const metrics = TRAINED.has(c.status)
      ? `  accuracy ${percent(c.accuracy)}, macro F1 ${percent(c.macroF1)}`
      : "";
    const time = trainingTime(c, facts.now, facts.trainingPricePerHour);
    lines.push(`  ${c.status.padEnd(20)} ${c.arn}${serving}`);
    const detail = [
      metrics.trim(),
      time,
      c.message && !TRAINED.has(c.status) ? `message: ${c.message}` : "",
    ].filter(Boolean);
    if (detail.length > 0) lines.push(`  ${" ".repeat(20)} ${detail.join("; ")}`);
  }

  lines.push("", "Endpoint:");
  const e = facts.endpoint;
  const window = facts.activeHours && activeWindow(facts.now, facts.activeHours);
  if (!e && facts.deployed.inference && facts.activeHours && window && !window.active)
    lines.push(
      `  paused until ${formatLocal(window.nextStart, facts.activeHours.time_zone)} (active hours ${describeActiveHours(facts.activeHours)}); the API answers 503 with Retry-After meanwhile`,
    );
  else if (!e)
    lines.push(
      facts.deployed.inference
        ? "  deployed, but Comprehend does not know it"
        : "  none (the inference stack is not deployed)",
    );
  else {
    lines.push(`  ${e.status}  ${e.arn}`);
    lines.push(
      `  model: ${e.modelArn ?? "?"}${e.desiredModelArn && e.desiredModelArn !== e.modelArn ? ` (moving to ${e.desiredModelArn})` : ""}`,
    );
    const units = e.currentUnits ?? e.desiredUnits;
    lines.push(
      `  inference units: ${units ?? "?"}${e.desiredUnits !== undefined && e.desiredUnits !== e.currentUnits ? ` (desired ${e.desiredUnits})` : ""}, about ${formatUsd((units ?? 0) * ENDPOINT_PRICE_PER_INFERENCE_UNIT_HOUR)} an hour`,
    );
    if (e.message) lines.push(`  message: ${e.message}`);
    if (facts.activeHours && window)
      lines.push(
        `  active hours ${describeActiveHours(facts.activeHours)}: ${window.active ? `paused at ${formatLocal(window.nextEnd, facts.activeHours.time_zone)}` : `removed by the pause schedule shortly, back at ${formatLocal(window.nextStart, facts.activeHours.time_zone)}`}`,
      );
  }
  if (facts.reviewLoop) {
    lines.push(
      "",
      `Review queue: ${facts.reviewLoop.queued} ticket(s) waiting${facts.reviewLoop.queued > 0 ? " (answer them with npm run review)" : ""}; ${facts.reviewLoop.corrections} correction file(s) stored for the next training set.`,
    );
  }
  if (facts.alarms) {
    lines.push("", `Alarms in ALARM (${facts.alarms.length}):`);
    if (facts.alarms.length === 0) lines.push("  none");
    for (const alarm of facts.alarms) {
      lines.push(`  ${alarm.name}  since ${day(alarm.since)}`);
      if (alarm.reason) lines.push(`    ${alarm.reason}`);
      if (alarm.link) lines.push(`    what to do: ${alarm.link}`);
    }
  }
  if (facts.dashboardUrl) lines.push("", `Dashboard: ${facts.dashboardUrl}`);
  lines.push("", `Next: ${nextStep(facts)}`);
  return lines.join("\n");
}
