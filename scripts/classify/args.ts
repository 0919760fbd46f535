/** Command-line arguments of `npm run classify` and where the text to classify comes from. */
import { parseArgs } from "node:util";
import { DEFAULT_REVIEW_THRESHOLD } from "../../contract/batch";
import { splitList } from "../../contract/environment";

export const USAGE = `Usage: npm run classify -- [--url <api-url>] [--region <region>] [--file <path>] ["text to classify"]
       npm run classify -- --csv <tickets.csv> --id-column <column> --text-columns <a,b> [--out <results.csv>]
                           [--concurrency 4] [--review-threshold 0.5]

Classifies an IT service request with the deployed API, signing the call with your AWS credentials
(AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN).

  --url <api-url>    API stage URL or full method URL; default: the inference stack's output
                     rest_api_invoke_url, read from its Terraform state (local file or S3 backend)
  --region <region>  signing region; default: AWS_REGION, AWS_DEFAULT_REGION, or the URL's host
  --file <path>      read the text from a file instead of the argument
  --csv <path>       classify every ticket of a CSV export: results (id, predicted label and score, runner-up
                     and its score, needs_review) go to --out (default <csv>.results.csv) as they arrive; a run
                     started again skips the tickets already there. 429 and 503 are retried.
  -h, --help         show this help

With neither text nor --file, the text is read from standard input.
Exit codes: 0 classified, 1 the API answered with an error, 2 usage or setup problem, 3 network failure.`;

/** The command line cannot be acted on; the message says what to change. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export interface BatchCliOptions {
  csv: string;
  idColumn: string;
  textColumns: string[];
  out: string;
  concurrency: number;
  reviewThreshold: number;
}

export interface CliOptions {
  batch?: BatchCliOptions | undefined;
  url?: string | undefined;
  region?: string | undefined;
  file?: string | undefined;
  text?: string | undefined;
  help: boolean;
}

export function parseCliArgs(argv: readonly string[]): CliOptions {
  let parsed: ReturnType<typeof parseWithNode>;
  try {
    parsed = parseWithNode(argv);
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }
  return cliOptions(parsed.values, parsed.positionals);
}

/** The options the command line gave, checked: a mistake is a UsageError naming it. */
export function cliOptions(
  values: ReturnType<typeof parseWithNode>["values"],
  positionals: readonly string[],
): CliOptions {
  // Unquoted words arrive as separate arguments; they are one request.
  const text = positionals.length > 0 ? positionals.join(" ") : undefined;
  if (text !== undefined && values.file !== undefined) {
    throw new UsageError("Give the text either as an argument or with --file, not both");
  }
  for (const name of ["url", "region", "file"] as const) {
    if (values[name] !== undefined && values[name].trim() === "")
      throw new UsageError(`--${name} needs a value`);
  }
  const batch = values.csv === undefined ? undefined : batchOptions(values, text);
  return {
    url: values.url,
    region: values.region,
    file: values.file,
    text,
    help: values.help ?? false,
    batch,
  };
}

function batchOptions(
  values: ReturnType<typeof parseWithNode>["values"],
  text: string | undefined,
): BatchCliOptions {
  if (text !== undefined || values.file !== undefined)
    throw new UsageError("--csv classifies a file of tickets; give no text or --file with it");
  if (!values["id-column"])
    throw new UsageError("--csv needs --id-column, the column that identifies a ticket (e.g. number)");
  const textColumns = splitList(values["text-columns"] ?? "");
  if (textColumns.length === 0)
    throw new UsageError("--csv needs --text-columns, the columns joined into the text");
  const concurrency = Number(values.concurrency ?? "4");
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) {
    throw new UsageError(`--concurrency must be a whole number from 1 to 32, got "${values.concurrency}"`);
  }
  const reviewThreshold = Number(values["review-threshold"] ?? String(DEFAULT_REVIEW_THRESHOLD));
  if (!Number.isFinite(reviewThreshold) || reviewThreshold < 0 || reviewThreshold > 1) {
    throw new UsageError(`--review-threshold must be from 0 to 1, got "${values["review-threshold"]}"`);
  }
  const csv = values.csv as string;
  return {
    csv,
    idColumn: values["id-column"],
    textColumns,
    out: values.out ?? `${csv.replace(/\.csv$/i, "")}.results.csv`,
    concurrency,
    reviewThreshold,
  };
}

export const CLASSIFY_OPTIONS = {
  url: { type: "string" },
  region: { type: "string" },
  file: { type: "string" },
  csv: { type: "string" },
  "id-column": { type: "string" },
  "text-columns": { type: "string" },
  out: { type: "string" },
  concurrency: { type: "string" },
  "review-threshold": { type: "string" },
} as const;

function parseWithNode(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: { ...CLASSIFY_OPTIONS, help: { type: "boolean", short: "h" } },
  });
}

export interface TextSources {
  readFile: (path: string) => Promise<string>;
  /** Standard input, unless it is an interactive terminal (then nothing was piped in). */
  readStdin: () => Promise<string | null>;
}

export async function resolveText(options: CliOptions, sources: TextSources): Promise<string> {
  let text: string | null;
  let origin: string;
  if (options.text !== undefined) {
    text = options.text;
    origin = "The text argument";
  } else if (options.file !== undefined) {
    origin = `File ${options.file}`;
    try {
      text = await sources.readFile(options.file);
    } catch (error) {
      throw new UsageError(`Cannot read ${options.file}: ${(error as Error).message}`, { cause: error });
    }
  } else {
    origin = "Standard input";
    text = await sources.readStdin();
    if (text === null) throw new UsageError(`No text to classify.\n\n${USAGE}`);
  }
  if (text.trim() === "") throw new UsageError(`${origin} is empty; nothing to classify`);
  return text;
}
