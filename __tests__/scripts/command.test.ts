import { ETL_COMMAND } from "../../functions/etl/cli";
import { EVALUATE_COMMAND } from "../../functions/evaluation/cli";
import { classifyCommand } from "../../scripts/classify";
import {
  CommandFailure,
  type CommandIO,
  type CommandSpec,
  runCommand,
  UsageError,
} from "../../scripts/lib/command";
import { PLAN_REVIEW_COMMAND } from "../../scripts/plan-review";
import { PR_COMMENT_COMMAND } from "../../scripts/pr-comment";
import { retrainCommand } from "../../scripts/retrain";
import { reviewCommand } from "../../scripts/review";
import { stacksCommand } from "../../scripts/stacks";
import { startTrainingCommand } from "../../scripts/start-training";
import { statusCommand } from "../../scripts/status";
import { TFVARS_COMMAND } from "../../scripts/tfvars";

function recordingIo(): CommandIO & { outs: string[]; errs: string[] } {
  const outs: string[] = [];
  const errs: string[] = [];
  return { outs, errs, out: (text) => outs.push(text), err: (text) => errs.push(text) };
}

/** Nothing a command may touch before its options are checked: any use of it fails the test. */
const untouchable = new Proxy(
  {},
  {
    get: (_, key) => {
      throw new Error(`touched ${String(key)}`);
    },
  },
) as never;

const TOOLS: [string, CommandSpec<never>][] = [
  ["npm run status", statusCommand(untouchable) as never],
  ["npm run start-training", startTrainingCommand(untouchable) as never],
  ["npm run etl", ETL_COMMAND as never],
  ["npm run evaluate", EVALUATE_COMMAND as never],
  ["npm run tfvars", TFVARS_COMMAND as never],
  ["npm run plan:comment", PR_COMMENT_COMMAND as never],
  ["npm run plan", PLAN_REVIEW_COMMAND as never],
  ["npm run deploy", stacksCommand("deploy", untouchable) as never],
  ["npm run destroy", stacksCommand("destroy", untouchable) as never],
  ["npm run classify", classifyCommand(untouchable) as never],
  ["npm run review", reviewCommand(untouchable) as never],
  ["npm run retrain", retrainCommand(untouchable) as never],
];

describe("every command-line tool", () => {
  it.each(TOOLS)("%s prints its usage for --help and exits 0", async (_, spec) => {
    const io = recordingIo();

    await expect(runCommand(spec, ["--help"], io)).resolves.toBe(0);

    expect(io.outs).toEqual([spec.usage]);
    expect(io.outs[0]).toMatch(/^usage: /i);
    expect(io.errs).toEqual([]);
  });

  it.each(TOOLS)(
    "%s answers an unknown option with one error line, its usage and exit 2",
    async (_, spec) => {
      const io = recordingIo();

      await expect(runCommand(spec, ["--no-such-option"], io)).resolves.toBe(2);

      expect(io.errs).toHaveLength(1);
      const [line, ...rest] = (io.errs[0] ?? "").split("\n\n");
      expect(line).toMatch(/^error: Unknown option '--no-such-option'[^\n]*$/);
      expect(rest.join("\n\n")).toBe(spec.usage);
    },
  );
});

describe("the command runner", () => {
  const spec = (
    run: CommandSpec<{ name: { type: "string" } }>["run"],
  ): CommandSpec<{ name: { type: "string" } }> => ({
    usage: "usage: demo --name <n>",
    options: { name: { type: "string" } },
    explain: (error) =>
      (error as Error).name === "Throttled" ? { message: "AWS is busy; retry", exitCode: 4 } : undefined,
    run,
  });

  it("passes the options to the tool and returns its exit code", async () => {
    const io = recordingIo();
    const code = await runCommand(
      spec(({ values }, out) => {
        out.out(`hello ${values.name}`);
        return 5;
      }),
      ["--name", "ada"],
      io,
    );
    expect(code).toBe(5);
    expect(io.outs).toEqual(["hello ada"]);
  });

  it("says a usage mistake with the usage, a known failure in one line with its code, and explains what the tool can", async () => {
    const usage = recordingIo();
    const failure = recordingIo();
    const explained = recordingIo();

    expect(
      await runCommand(
        spec(() => {
          throw new UsageError("--name is required");
        }),
        [],
        usage,
      ),
    ).toBe(2);
    expect(
      await runCommand(
        spec(() => {
          throw new CommandFailure("nothing deployed", 3);
        }),
        [],
        failure,
      ),
    ).toBe(3);
    expect(
      await runCommand(
        spec(() => {
          throw Object.assign(new Error("Rate exceeded"), { name: "Throttled" });
        }),
        [],
        explained,
      ),
    ).toBe(4);

    expect(usage.errs).toEqual(["error: --name is required\n\nusage: demo --name <n>"]);
    expect(failure.errs).toEqual(["error: nothing deployed"]);
    expect(explained.errs).toEqual(["error: AWS is busy; retry"]);
  });

  it("puts an unforeseen error in one line with its name, never a stack trace", async () => {
    const io = recordingIo();

    const code = await runCommand(
      spec(() => {
        throw new TypeError(
          "Cannot read properties of undefined (reading 'x')\n    at somewhere (file.ts:1:1)",
        );
      }),
      [],
      io,
    );

    expect(code).toBe(1);
    expect(io.errs).toEqual([
      "error: unexpected TypeError: Cannot read properties of undefined (reading 'x')",
    ]);
  });
});
