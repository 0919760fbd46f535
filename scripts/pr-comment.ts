/**
 * Posts plan-review/summary.md as one pull-request comment and updates that same comment on every later run,
 * so a pull request carries one current plan summary instead of a trail of stale ones.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { CommandFailure, type CommandSpec, runAsMain } from "./lib/command";

export const COMMENT_MARKER = "<!-- comprehend-itsr plan review -->";

export interface GitHubTarget {
  readonly apiUrl: string;
  readonly repository: string;
  readonly issueNumber: number;
  readonly token: string;
}

export class CommentError extends Error {
  override readonly name = "CommentError";
}

async function github(target: GitHubTarget, path: string, init: RequestInit = {}): Promise<unknown> {
  const response = await fetch(`${target.apiUrl}${path}`, {
    ...init,
    headers: {
      accept: "application/vnd.github+json",
      authorization: `Bearer ${target.token}`,
      "content-type": "application/json",
      "x-github-api-version": "2022-11-28",
    },
  });
  if (!response.ok) {
    throw new CommentError(
      `GitHub answered ${response.status} to ${init.method ?? "GET"} ${path}: ${await response.text()}`,
    );
  }
  return response.json();
}

/** Creates the plan comment, or edits the one an earlier run left. Returns what it did. */
export async function upsertPlanComment(
  target: GitHubTarget,
  summary: string,
): Promise<"created" | "updated"> {
  const body = `${COMMENT_MARKER}\n${summary}`;
  const base = `/repos/${target.repository}/issues`;
  for (let page = 1; ; page++) {
    const comments = (await github(
      target,
      `${base}/${target.issueNumber}/comments?per_page=100&page=${page}`,
    )) as {
      id: number;
      body?: string;
    }[];
    const existing = comments.find((comment) => comment.body?.startsWith(COMMENT_MARKER));
    if (existing) {
      await github(target, `${base}/comments/${existing.id}`, {
        method: "PATCH",
        body: JSON.stringify({ body }),
      });
      return "updated";
    }
    if (comments.length < 100) break;
  }
  await github(target, `${base}/${target.issueNumber}/comments`, {
    method: "POST",
    body: JSON.stringify({ body }),
  });
  return "created";
}

export function targetFromEnv(env: NodeJS.ProcessEnv): GitHubTarget {
  const missing = ["GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_EVENT_PATH"].filter((name) => !env[name]);
  if (missing.length > 0) throw new CommentError(`missing environment variable(s): ${missing.join(", ")}`);
  const event = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH as string, "utf8")) as {
    pull_request?: { number: number };
  };
  if (!event.pull_request) throw new CommentError("not a pull_request event: nothing to comment on");
  return {
    apiUrl: env.GITHUB_API_URL ?? "https://api.github.com",
    repository: env.GITHUB_REPOSITORY as string,
    issueNumber: event.pull_request.number,
    token: env.GITHUB_TOKEN as string,
  };
}

export const USAGE = `Usage: npm run plan:comment

In a GitHub Actions pull-request job, after npm run plan:online: posts plan-review/summary.md as one
pull-request comment, updating the comment of an earlier run. Reads GITHUB_TOKEN, GITHUB_REPOSITORY and
GITHUB_EVENT_PATH, which Actions sets; outside a pull-request job it says so and exits 1.`;

export const PR_COMMENT_COMMAND: CommandSpec<Record<string, never>> = {
  usage: USAGE,
  options: {},
  run: async (_args, io) => {
    const summaryPath = resolve(__dirname, "..", "plan-review", "summary.md");
    let summary: string;
    try {
      summary = readFileSync(summaryPath, "utf8");
    } catch {
      summary =
        "## Terraform plan review\n\nThe plan did not complete: see the job log and the plan-review artifact.\n";
    }
    let target: GitHubTarget;
    try {
      target = targetFromEnv(process.env);
    } catch (error) {
      throw new CommandFailure(
        `plan:comment runs in a GitHub Actions pull-request job: ${(error as Error).message}`,
        1,
        { cause: error },
      );
    }
    try {
      io.out(`plan summary comment ${await upsertPlanComment(target, summary)}`);
    } catch (error) {
      throw new CommandFailure(error instanceof Error ? error.message : String(error), 1, { cause: error });
    }
  },
};

if (require.main === module) runAsMain(PR_COMMENT_COMMAND);
