/**
 * One shape for every command-line tool of the project: options parsed strictly (node:util parseArgs), `--help`
 * printing the usage, a bad option answered with the usage and exit 2, failures said in one line without a
 * stack trace. A tool gives its usage, its options and what it does; this runs it.
 */
import { type ParseArgsOptionsConfig, parseArgs } from "node:util";

export interface CommandIO {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** Wrong use of the command: `error: <message>`, then the usage, exit 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** A failure the tool expects and explains: `error: <message>`, with the tool's exit code (1 unless said). */
export class CommandFailure extends Error {
  override readonly name = "CommandFailure";

  constructor(
    message: string,
    readonly exitCode = 1,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

type Values<O extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ options: O; strict: true }>
>["values"];

export interface ParsedArgs<O extends ParseArgsOptionsConfig> {
  readonly values: Values<O>;
  readonly positionals: string[];
}

export interface CommandSpec<O extends ParseArgsOptionsConfig> {
  readonly usage: string;
  readonly options: O;
  readonly allowPositionals?: boolean;
  /** The exit code of a failure nobody foresaw (1 unless the tool documents another). */
  readonly unexpectedExitCode?: number;
  /** Failures of the tool's dependencies it can put in words (credentials, say): message and exit code. */
  readonly explain?: (error: unknown) => { readonly message: string; readonly exitCode: number } | undefined;
  /** Does the work; a number it returns is the exit code, anything else means 0. */
  readonly run: (args: ParsedArgs<O>, io: CommandIO) => unknown;
}

const HELP = { help: { type: "boolean", short: "h" } } as const;

export async function runCommand<O extends ParseArgsOptionsConfig>(
  spec: CommandSpec<O>,
  argv: readonly string[],
  io: CommandIO,
): Promise<number> {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...spec.options, ...HELP },
      strict: true,
      allowPositionals: spec.allowPositionals ?? false,
    });
  } catch (error) {
    io.err(`error: ${(error as Error).message}\n\n${spec.usage}`);
    return 2;
  }
  if (parsed.values.help === true) {
    io.out(spec.usage);
    return 0;
  }
  try {
    const code = await spec.run(parsed as unknown as ParsedArgs<O>, io);
    return typeof code === "number" ? code : 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`error: ${error.message}\n\n${spec.usage}`);
      return 2;
    }
    if (error instanceof CommandFailure) {
      io.err(`error: ${error.message}`);
      return error.exitCode;
    }
    const explained = spec.explain?.(error);
    if (explained) {
      io.err(`error: ${explained.message}`);
      return explained.exitCode;
    }
    // Unforeseen: still one line, with the error's name to search for, never a stack trace.
    const { name, message } = error instanceof Error ? error : { name: "Error", message: String(error) };
    io.err(`error: unexpected ${name}: ${message.split("\n")[0]}`);
    return spec.unexpectedExitCode ?? 1;
  }
}

export const CONSOLE_IO: CommandIO = {
  out: (text) => console.log(text),
  err: (text) => console.error(text),
};

/** Straight to the streams, for tools started from prebuilt JavaScript (scripts/run-cli.cjs). */
export const STDIO: CommandIO = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

/** Runs the command with the process's arguments and sets the exit code. */
export function runAsMain<O extends ParseArgsOptionsConfig>(
  spec: CommandSpec<O>,
  io: CommandIO = CONSOLE_IO,
): void {
  runCommand(spec, process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      io.err(`unexpected failure: ${(error as Error).message}`);
      process.exitCode = 1;
    },
  );
}
