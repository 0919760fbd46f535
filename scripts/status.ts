/**
 * `npm run status`: where a deployment stands, from the stacks' state and AWS: the dataset runs (their
 * reports), the app's classifiers with status, metrics and training time, the endpoint, and what to do next.
 * Credentials come from the standard AWS chain.
 */

import { CloudWatchClient, paginateDescribeAlarms } from "@aws-sdk/client-cloudwatch";
import {
  ComprehendClient,
  DescribeEndpointCommand,
  type DocumentClassifierProperties,
  ListDocumentClassifiersCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-comprehend";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { parseActiveHours } from "../contract/active-hours";
import { alarmNamePrefix } from "../contract/alarms";
import { DATA_PREFIXES, runLayout } from "../contract/data-layout";
import { parseClassifierArn, runOf } from "../functions/pipeline-shared/naming";
import { DEFAULT_TRAINING_PRICE_PER_HOUR } from "../functions/pipeline-shared/pricing";
import { CommandFailure, type CommandSpec, runCommand, UsageError } from "./lib/command";
import { runWithProjectState } from "./lib/project-command";
import { explainCredentials, type StackOutputs, type StateSource } from "./lib/state";
import {
  type AlarmFacts,
  type ClassifierFacts,
  type EndpointFacts,
  type ReviewLoopFacts,
  type RunFacts,
  renderStatus,
  type StatusFacts,
} from "./status/report";

export const USAGE = `Usage: npm run status -- [--runs <n>]

Shows where the deployment stands: which stacks are deployed (from their Terraform state), the dataset runs
(from their reports in the bucket), the app's classifiers with status, metrics and training time, the
endpoint's status, model and inference units, the review queue and the corrections stored, the app's alarms
in ALARM, the dashboard's link, and what to do next. Uses your standard AWS credentials
(AWS_PROFILE or AWS_ACCESS_KEY_ID/...), read-only.

  --runs <n>   how many of the newest dataset runs to show (default 10)
  -h, --help   show this help

Exit codes: 0 shown, 1 nothing deployed yet, 2 usage or credentials problem.`;

export class StatusError extends Error {
  override readonly name = "StatusError";
}

export interface StatusDeps {
  readonly state: StateSource;
  readonly s3: (region: string) => S3Client;
  readonly comprehend: (region: string) => ComprehendClient;
  readonly cloudwatch: (region: string) => CloudWatchClient;
  readonly now: () => Date;
  readonly env: NodeJS.ProcessEnv;
}

function regionOf(outputs: StackOutputs | undefined, env: NodeJS.ProcessEnv): string {
  const arn = typeof outputs?.sns_topic_arn === "string" ? outputs.sns_topic_arn : "";
  const fromArn = arn.split(":")[3];
  const region = fromArn || env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (!region) throw new StatusError("Cannot tell the Region: set AWS_REGION");
  return region;
}

async function readJson(s3: S3Client, bucket: string, key: string): Promise<Record<string, unknown>> {
  const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse((await body.Body?.transformToString("utf8")) ?? "{}") as Record<string, unknown>;
}

/** How many tickets wait in the review queue, and how many corrections (objects) are stored. */
async function readReviewLoop(s3: S3Client, bucket: string): Promise<ReviewLoopFacts> {
  const count = async (prefix: string) => {
    let objects = 0;
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      objects += (page.Contents ?? []).filter(
        (object) => object.Key?.endsWith(".json") || object.Key?.endsWith(".jsonl"),
      ).length;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return objects;
  };
  const [queued, corrections] = await Promise.all([
    count(DATA_PREFIXES.reviewQueue),
    count(DATA_PREFIXES.corrections),
  ]);
  return { queued, corrections };
}

async function readRuns(s3: S3Client, bucket: string, limit: number): Promise<RunFacts[]> {
  const objects: { runId: string; key: string; modified?: Date | undefined }[] = [];
  const present = new Set<string>();
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: DATA_PREFIXES.reports, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) {
      if (!object.Key) continue;
      present.add(object.Key);
      const runId = object.Key.slice(DATA_PREFIXES.reports.length).split("/")[0] as string;
      const layout = runLayout(DATA_PREFIXES, runId);
      if (object.Key === layout.reportKey || object.Key === layout.rejectedKey) {
        objects.push({ runId, key: object.Key, modified: object.LastModified });
      }
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  const newest = objects
    .sort((a, b) => (b.modified?.getTime() ?? 0) - (a.modified?.getTime() ?? 0))
    .slice(0, limit);
  return Promise.all(
    newest.map(async ({ runId, key, modified }) => {
      const layout = runLayout(DATA_PREFIXES, runId);
      const json = await readJson(s3, bucket, key);
      if (key === layout.rejectedKey) {
        return {
          runId,
          lastModified: modified,
          rejected: String(json.reason ?? "see rejected.json"),
        };
      }
      const input = json.input as { name?: string } | undefined;
      // The ETL's baseline and the trained model's report, beside the run's report when they exist.
      const baseline = present.has(layout.baseline.json)
        ? await readJson(s3, bucket, layout.baseline.json)
        : undefined;
      const model = present.has(layout.model.json)
        ? await readJson(s3, bucket, layout.model.json)
        : undefined;
      const routing = present.has(layout.scoring.routing)
        ? ((await readJson(s3, bucket, layout.scoring.routing)) as unknown as RunFacts["routing"])
        : undefined;
      const comparison = present.has(layout.scoring.comparison)
        ? ((await readJson(s3, bucket, layout.scoring.comparison)) as unknown as RunFacts["comparison"])
        : undefined;
      return {
        baselineMacroF1: (baseline?.metrics as { macroF1?: number } | undefined)?.macroF1,
        comprehendMacroF1: (model?.metrics as { macroF1?: number } | undefined)?.macroF1,
        routing,
        comparison,
        runId,
        lastModified: modified,
        input: input?.name,
        labels: json.label_count as number | undefined,
        documents: json.document_count as number | undefined,
      };
    }),
  );
}

function classifierFacts(namePrefix: string, p: DocumentClassifierProperties): ClassifierFacts | undefined {
  const arn = p.DocumentClassifierArn;
  const parts = arn ? parseClassifierArn(arn) : undefined;
  const runId = parts ? runOf(namePrefix, parts) : undefined;
  if (!arn || !runId) return undefined;
  const metrics = p.ClassifierMetadata?.EvaluationMetrics;
  return {
    arn,
    runId,
    status: p.Status ?? "UNKNOWN",
    message: p.Message,
    submitted: p.SubmitTime,
    trainingStarted: p.TrainingStartTime,
    trainingEnded: p.TrainingEndTime,
    accuracy: metrics?.Accuracy,
    macroF1: metrics?.F1Score,
  };
}

async function readClassifiers(comprehend: ComprehendClient, namePrefix: string): Promise<ClassifierFacts[]> {
  const found: ClassifierFacts[] = [];
  let token: string | undefined;
  do {
    const page = await comprehend.send(new ListDocumentClassifiersCommand({ NextToken: token }));
    for (const properties of page.DocumentClassifierPropertiesList ?? []) {
      const facts = classifierFacts(namePrefix, properties);
      if (facts) found.push(facts);
    }
    token = page.NextToken;
  } while (token);
  return found.sort((a, b) => (b.submitted?.getTime() ?? 0) - (a.submitted?.getTime() ?? 0));
}

/** The app's alarms in ALARM (named `<prefix>--...`, contract/alarms.ts), longest-standing first. */
async function readAlarms(cloudwatch: CloudWatchClient, namePrefix: string): Promise<AlarmFacts[]> {
  const alarms: AlarmFacts[] = [];
  for await (const page of paginateDescribeAlarms(
    { client: cloudwatch },
    { AlarmNamePrefix: alarmNamePrefix(namePrefix), StateValue: "ALARM", AlarmTypes: ["MetricAlarm"] },
  )) {
    for (const alarm of page.MetricAlarms ?? []) {
      if (!alarm.AlarmName) continue;
      alarms.push({
        name: alarm.AlarmName,
        since: alarm.StateUpdatedTimestamp,
        reason: alarm.StateReason,
        link: /What to do: (\S+)$/.exec(alarm.AlarmDescription ?? "")?.[1],
      });
    }
  }
  return alarms.sort((a, b) => (a.since?.getTime() ?? 0) - (b.since?.getTime() ?? 0));
}

async function readEndpoint(comprehend: ComprehendClient, arn: string): Promise<EndpointFacts | undefined> {
  try {
    const { EndpointProperties: e } = await comprehend.send(
      new DescribeEndpointCommand({ EndpointArn: arn }),
    );
    if (!e) return undefined;
    return {
      arn,
      status: e.Status ?? "UNKNOWN",
      modelArn: e.ModelArn,
      desiredModelArn: e.DesiredModelArn,
      currentUnits: e.CurrentInferenceUnits,
      desiredUnits: e.DesiredInferenceUnits,
      message: e.Message,
    };
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

export async function gatherStatus(deps: StatusDeps, runLimit: number): Promise<StatusFacts> {
  const [data, network, training, inference] = await Promise.all(
    (["data", "network", "training", "inference"] as const).map((stack) => deps.state.outputs(stack)),
  );
  const deployed = {
    data: data !== undefined,
    network: network !== undefined,
    training: training !== undefined,
    inference: inference !== undefined,
  };
  const base = { now: deps.now(), deployed, trainingPricePerHour: DEFAULT_TRAINING_PRICE_PER_HOUR };
  if (!training) return { ...base, runs: [], classifiers: [] };
  const region = regionOf(training, deps.env);
  const bucket = String(training.s3_bucket_name);
  const namePrefix = String(
    training.resource_name_prefix ?? String(training.etl_function_name).replace(/-etl$/, ""),
  );
  const comprehend = deps.comprehend(region);
  const endpointArn =
    typeof inference?.comprehend_endpoint_arn === "string" ? inference.comprehend_endpoint_arn : undefined;
  const [runs, classifiers, endpoint, alarms, reviewLoop] = await Promise.all([
    readRuns(deps.s3(region), bucket, runLimit),
    readClassifiers(comprehend, namePrefix),
    endpointArn ? readEndpoint(comprehend, endpointArn) : Promise.resolve(undefined),
    readAlarms(deps.cloudwatch(region), namePrefix),
    readReviewLoop(deps.s3(region), bucket),
  ]);
  const dashboardUrl = typeof inference?.dashboard_url === "string" ? inference.dashboard_url : undefined;
  const activeHours = parseActiveHours(
    typeof inference?.active_hours_json === "string" ? inference.active_hours_json : undefined,
  );
  return { ...base, bucket, runs, classifiers, endpoint, alarms, dashboardUrl, activeHours, reviewLoop };
}

export function statusCommand(deps: StatusDeps): CommandSpec<{ runs: { type: "string" } }> {
  return {
    usage: USAGE,
    options: { runs: { type: "string" } },
    explain: (error) => {
      const credentials = explainCredentials(error);
      if (credentials) return credentials;
      if (error instanceof StatusError) return { message: error.message, exitCode: 2 };
      const name = (error as Error).name;
      if (name === "AccessDeniedException" || name === "AccessDenied") {
        return { message: `AWS refused a read that status needs: ${(error as Error).message}`, exitCode: 2 };
      }
      return undefined;
    },
    run: async ({ values }, io) => {
      const runs = values.runs === undefined ? 10 : Number(values.runs);
      if (!Number.isInteger(runs) || runs < 1) {
        throw new UsageError(`--runs must be a positive whole number, got "${values.runs}"`);
      }
      const facts = await gatherStatus(deps, runs);
      if (!Object.values(facts.deployed).some(Boolean)) {
        throw new CommandFailure(
          `Nothing is deployed yet (no stack state in ${deps.state.description}). Start with: npm run deploy -- data network training`,
          1,
        );
      }
      io.out(renderStatus(facts));
    },
  };
}

export function main(
  argv: readonly string[],
  deps: StatusDeps,
  out: (text: string) => void,
  err: (text: string) => void,
): Promise<number> {
  return runCommand(statusCommand(deps), argv, { out, err });
}

if (require.main === module) {
  runWithProjectState((state) =>
    statusCommand({
      state,
      s3: (region) => new S3Client({ region }),
      comprehend: (region) => new ComprehendClient({ region }),
      cloudwatch: (region) => new CloudWatchClient({ region }),
      now: () => new Date(),
      env: process.env,
    }),
  );
}
