/** Command-line arguments of `npm run classify` and where the text to classify comes from. */
import { parseArgs } from "node:util";

export const USAGE = `Usage: npm run classify -- [--url <api-url>] [--region <region>] [--file <path>] ["text to classify"]

Classifies an IT service request with the deployed API, signing the call with your AWS credentials
(AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN).

  --url <api-url>    API stage URL or full method URL; default: the inference stack's output
                     rest_api_invoke_url (terraform -chdir=cdktf.out/stacks/inference output)
  --region <region>  signing region; default: AWS_REGION, AWS_DEFAULT_REGION, or the URL's host
  --file <path>      read the text from a file instead of the argument
  -h, --help         show this help

With neither text nor --file, the text is read from standard input.
Exit codes: 0 classified, 1 the API answered with an error, 2 usage or setup problem, 3 network failure.`;

/** The command line cannot be acted on; the message says what to change. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export interface CliOptions {
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
  const { values, positionals } = parsed;
  // Unquoted words arrive as separate arguments; they are one request.
  const text = positionals.length > 0 ? positionals.join(" ") : undefined;
  if (text !== undefined && values.file !== undefined) {
    throw new UsageError("Give the text either as an argument or with --file, not both");
  }
  for (const name of ["url", "region", "file"] as const) {
    if (values[name] !== undefined && values[name].trim() === "")
      throw new UsageError(`--${name} needs a value`);
  }
  return { url: values.url, region: values.region, file: values.file, text, help: values.help ?? false };
}

function parseWithNode(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: "string" },
      region: { type: "string" },
      file: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
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
