import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { COMMENT_MARKER, CommentError, type GitHubTarget, upsertPlanComment } from "../../scripts/pr-comment";

interface Recorded {
  method: string;
  url: string;
  body: string;
  authorization: string | undefined;
}

/** A stand-in for the GitHub issues-comments API on 127.0.0.1. */
function fakeGitHub(existing: { id: number; body: string }[], status = 200) {
  const requests: Recorded[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      requests.push({
        method: req.method ?? "",
        url: req.url ?? "",
        body,
        authorization: req.headers.authorization,
      });
      res.writeHead(status, { "content-type": "application/json" });
      res.end(req.method === "GET" ? JSON.stringify(existing) : JSON.stringify({ id: 99 }));
    });
  });
  return { server, requests };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("plan summary pull-request comment", () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  const target = (apiUrl: string): GitHubTarget => ({
    apiUrl,
    repository: "acme/classifier",
    issueNumber: 7,
    token: "t0ken",
  });

  it("creates one comment carrying the marker when the pull request has none", async () => {
    // Prepare
    const github = fakeGitHub([{ id: 1, body: "LGTM" }]);
    server = github.server;
    const apiUrl = await listen(server);

    // Act
    const action = await upsertPlanComment(target(apiUrl), "## Terraform plan review\n");

    // Assess
    expect(action).toBe("created");
    const post = github.requests.find((r) => r.method === "POST");
    expect(post?.url).toBe("/repos/acme/classifier/issues/7/comments");
    expect(JSON.parse(post?.body ?? "{}").body).toBe(`${COMMENT_MARKER}\n## Terraform plan review\n`);
    expect(post?.authorization).toBe("Bearer t0ken");
  });

  it("updates the earlier plan comment instead of adding another", async () => {
    const github = fakeGitHub([
      { id: 1, body: "LGTM" },
      { id: 42, body: `${COMMENT_MARKER}\nold plan` },
    ]);
    server = github.server;
    const apiUrl = await listen(server);

    const action = await upsertPlanComment(target(apiUrl), "new plan");

    expect(action).toBe("updated");
    expect(github.requests.map((r) => `${r.method} ${r.url.split("?")[0]}`)).toEqual([
      "GET /repos/acme/classifier/issues/7/comments",
      "PATCH /repos/acme/classifier/issues/comments/42",
    ]);
  });

  it("fails with GitHub's answer when the token may not comment", async () => {
    const github = fakeGitHub([], 403);
    server = github.server;
    const apiUrl = await listen(server);

    await expect(upsertPlanComment(target(apiUrl), "plan")).rejects.toThrow(CommentError);
  });
});
