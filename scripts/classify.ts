/**
 * Signed command-line client of the classification API, the TypeScript counterpart of the original sample's
 * apiclientinvoke.py:
 *
 *   npm run classify -- [--url <api-url>] [--region <region>] [--file <path>] ["text"]
 *
 * Credentials come from the standard AWS chain (profile or environment); the request is signed with SigV4
 * for execute-api because every method of the API uses AWS_IAM authorisation.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import type { BacklogTicket } from "../functions/batch/tickets";
import {
  type BatchCliOptions,
  CLASSIFY_OPTIONS,
  type CliOptions,
  cliOptions,
  resolveText,
  type TextSources,
  USAGE,
  UsageError,
} from "./classify/args";
import { classifyCsv, progressPrinter, readTickets } from "./classify/batch";
import { type HttpAnswer, NetworkError, sendRequest, signClassifyRequest } from "./classify/request";
import { EXIT_API_ERROR, EXIT_NETWORK, EXIT_OK, EXIT_USAGE, interpretResponse } from "./classify/response";
import {
  type InferenceOutputs,
  methodUrl,
  readDeployedUrl,
  regionOfHost,
  resolveRegion,
} from "./classify/target";
import { type CommandSpec, runCommand } from "./lib/command";
import { projectStateSource } from "./lib/state";

const projectRoot = resolve(__dirname, "..");

export interface ClientDeps extends TextSources {
  env: NodeJS.ProcessEnv;
  /** The inference stack's outputs from its state, and where that state is (for the message without one). */
  inferenceOutputs: InferenceOutputs;
  stateDescription: string;
  credentials: AwsCredentialIdentityProvider;
  send: (request: Awaited<ReturnType<typeof signClassifyRequest>>) => Promise<HttpAnswer>;
  now: () => Date;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Waiting between retries of a batch; tests make it instant. */
  sleep?: (ms: number) => Promise<void>;
  progress?: (done: number, total: number) => void;
}

export function classifyCommand(deps: ClientDeps): CommandSpec<typeof CLASSIFY_OPTIONS> {
  return {
    usage: USAGE,
    options: CLASSIFY_OPTIONS,
    allowPositionals: true,
    explain: (error) => {
      // Refusals that come with their own words: a file that cannot be read, no credentials.
      if (error instanceof UsageError) return { message: error.message, exitCode: EXIT_USAGE };
      if (error instanceof NetworkError) {
        return {
          message: `${error.message}. Check the URL, your network/VPN and proxy settings.`,
          exitCode: EXIT_NETWORK,
        };
      }
      return undefined;
    },
    run: ({ values, positionals }) => classify(cliOptions(values, positionals), deps),
  };
}

export function main(argv: readonly string[], deps: ClientDeps): Promise<number> {
  return runCommand(classifyCommand(deps), argv, { out: deps.stdout, err: deps.stderr });
}

async function classify(options: CliOptions, deps: ClientDeps): Promise<number> {
  const text = options.batch ? "" : await resolveText(options, deps);
  // npm runs scripts from the project root; relative paths mean relative to where the user typed them.
  const from = deps.env.INIT_CWD ?? process.cwd();
  const batch = options.batch && {
    ...options.batch,
    csv: resolve(from, options.batch.csv),
    out: resolve(from, options.batch.out),
  };
  // The export's columns are checked first: a mistyped --id-column is the user's to fix before anything else.
  const tickets = batch ? readTickets(batch) : undefined;
  const url = methodUrl(options.url ?? (await readDeployedUrl(deps.inferenceOutputs, deps.stateDescription)));
  const region = resolveRegion(options.region, deps.env, url);
  const hostRegion = regionOfHost(url);
  if (hostRegion && hostRegion !== region) {
    deps.stderr(
      `Warning: signing for ${region} but the API is in ${hostRegion}; API Gateway will reject the signature.`,
    );
  }
  // Checked once up front for a clear message; each request then asks the provider again, which hands out
  // the same credentials until they near expiry and then refreshes them.
  const credentials = await loadCredentials(deps.credentials);
  if (batch && tickets) return await runBatch(batch, tickets, { url, region }, deps);
  const request = await signClassifyRequest({ url, region, text, credentials, signingDate: deps.now() });
  const outcome = interpretResponse(await deps.send(request));
  if (outcome.stdout !== undefined) deps.stdout(outcome.stdout);
  if (outcome.stderr !== undefined) deps.stderr(outcome.stderr);
  return outcome.exitCode;
}

async function runBatch(
  options: BatchCliOptions,
  tickets: readonly BacklogTicket[],
  target: { url: URL; region: string },
  deps: ClientDeps,
): Promise<number> {
  const summary = await classifyCsv(options, tickets, {
    classify: async (text) =>
      deps.send(
        await signClassifyRequest({
          ...target,
          credentials: await loadCredentials(deps.credentials),
          text,
          signingDate: deps.now(),
        }),
      ),
    refreshCredentials: async () => {
      await loadCredentials(() => deps.credentials({ forceRefresh: true }));
    },
    sleep: deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    random: Math.random,
    progress: deps.progress,
  });
  deps.stdout(
    `${summary.written} ticket(s) classified now, ${summary.alreadyDone} from an earlier run, ${summary.failed.length} failed, of ${summary.total}; ` +
      `${summary.needsReview} need review (top score below ${options.reviewThreshold}). Results: ${options.out}`,
  );
  for (const failure of summary.failed.slice(0, 10)) deps.stderr(`  ${failure.id}: ${failure.message}`);
  if (summary.failed.length > 0) {
    deps.stderr("Run the same command again to retry the failed tickets; finished ones are not sent again.");
    return EXIT_API_ERROR;
  }
  return EXIT_OK;
}

async function loadCredentials(provider: AwsCredentialIdentityProvider): Promise<AwsCredentialIdentity> {
  try {
    return await provider();
  } catch (error) {
    throw new UsageError(
      "No usable AWS credentials: set AWS_PROFILE (and log in, e.g. aws sso login) or AWS_ACCESS_KEY_ID/" +
        `AWS_SECRET_ACCESS_KEY. ${(error as Error).message}`,
      { cause: error },
    );
  }
}

async function readStdin(): Promise<string | null> {
  if (process.stdin.isTTY) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

if (require.main === module) {
  let state: ReturnType<typeof projectStateSource>;
  try {
    state = projectStateSource(projectRoot, process.env);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
  main(process.argv.slice(2), {
    env: process.env,
    inferenceOutputs: () => state.outputs("inference"),
    stateDescription: state.description,
    credentials: fromNodeProviderChain(),
    send: (request) => sendRequest(request),
    now: () => new Date(),
    // npm runs scripts from the project root; a relative --file means relative to where the user typed it.
    readFile: (path) => readFile(resolve(process.env.INIT_CWD ?? process.cwd(), path), "utf8"),
    readStdin,
    progress: progressPrinter(process.stderr),
    stdout: (text) => console.log(text),
    stderr: (text) => console.error(text),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
