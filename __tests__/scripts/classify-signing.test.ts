import { createHash, createHmac } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ClientDeps, main } from "../../scripts/classify";
import { sendRequest, signClassifyRequest } from "../../scripts/classify/request";
import { methodUrl } from "../../scripts/classify/target";

// Fixed test identity and clock, so a signature is reproducible; never real credentials.
const CREDENTIALS = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};
const SIGNING_DATE = new Date("2025-01-01T12:00:00Z");
const AMZ_DATE = "20250101T120000Z";

interface Received {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
  verdict: Verdict;
}

type Verdict = { ok: true } | { ok: false; reason: string };

/**
 * Recomputes a SigV4 signature from the raw request as the server received it, independently of
 * @smithy/signature-v4: canonical request, string to sign, derived key (AWS SigV4 specification).
 */
function verifySigV4(req: {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}): Verdict {
  const auth = req.headers.authorization;
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      String(auth ?? ""),
    );
  if (!match) return { ok: false, reason: `malformed Authorization header: ${auth}` };
  const [, accessKeyId, date, region, service, signedHeaderList, signature] = match as unknown as string[];
  if (accessKeyId !== CREDENTIALS.accessKeyId) return { ok: false, reason: "unknown access key" };
  const amzDate = String(req.headers["x-amz-date"] ?? "");
  if (!amzDate.startsWith(date as string))
    return { ok: false, reason: "x-amz-date does not match the scope date" };

  const signedHeaders = (signedHeaderList as string).split(";");
  for (const required of ["host", "x-amz-date", "content-type"]) {
    if (!signedHeaders.includes(required)) return { ok: false, reason: `${required} is not signed` };
  }
  const canonicalHeaders = signedHeaders
    .map(
      (name) =>
        `${name}:${String(req.headers[name] ?? "")
          .trim()
          .replace(/\s+/g, " ")}\n`,
    )
    .join("");
  const [path, query = ""] = req.path.split("?");
  const canonicalQuery = query.split("&").filter(Boolean).sort().join("&");
  const sha256 = (data: string) => createHash("sha256").update(data, "utf8").digest("hex");
  const canonicalRequest = [
    req.method,
    path,
    canonicalQuery,
    canonicalHeaders,
    signedHeaderList,
    sha256(req.body),
  ].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonicalRequest)].join("\n");
  const hmac = (key: string | Buffer, data: string) =>
    createHmac("sha256", key).update(data, "utf8").digest();
  let key = hmac(`AWS4${CREDENTIALS.secretAccessKey}`, date as string);
  for (const part of [region, service, "aws4_request"]) key = hmac(key, part as string);
  const expected = createHmac("sha256", key).update(stringToSign, "utf8").digest("hex");
  if (expected !== signature)
    return { ok: false, reason: "The request signature we calculated does not match" };
  if (service !== "execute-api") return { ok: false, reason: `signed for service ${service}` };
  return { ok: true };
}

let server: Server;
let baseUrl: string;
let received: Received[] = [];
/** What the fake API answers once the signature is valid; tests replace it to exercise error paths. */
type Answer = { status: number; headers?: Record<string, string>; body: string };
let answer: Answer | ((body: string) => Answer);

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const request = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      const verdict = verifySigV4(request);
      received.push({ ...request, verdict });
      res.setHeader("x-amzn-RequestId", "req-0001");
      if (!verdict.ok) {
        res.writeHead(403, { "content-type": "application/json" });
        res.end(JSON.stringify({ message: verdict.reason }));
        return;
      }
      const reply = typeof answer === "function" ? answer(request.body) : answer;
      res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
      res.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prod`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  received = [];
  answer = {
    status: 200,
    body: JSON.stringify({
      statusCode: 200,
      body: [
        { Name: "SPARK", Score: 0.99 },
        { Name: "HIVE", Score: 0.01 },
      ],
    }),
  };
});

function deps(overrides: Partial<ClientDeps> = {}): ClientDeps & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    env: {},
    inferenceOutputs: async () => ({ rest_api_invoke_url: `${baseUrl}\n` }),
    stateDescription: "local state files in /project",
    credentials: async () => CREDENTIALS,
    send: (request) => sendRequest(request, 5_000),
    now: () => SIGNING_DATE,
    readFile: async () => "from a file",
    readStdin: async () => null,
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    out,
    err,
    ...overrides,
  };
}

describe("signed request", () => {
  it("carries a SigV4 signature for execute-api that an independent verifier accepts", async () => {
    // Prepare
    const request = await signClassifyRequest({
      url: methodUrl(baseUrl),
      region: "eu-west-1",
      text: "Spark executor lost ☁️ après la mise à jour",
      credentials: CREDENTIALS,
      signingDate: SIGNING_DATE,
    });

    // Act
    const response = await sendRequest(request, 5_000);

    // Assess
    expect(response.status).toBe(200);
    expect(received).toHaveLength(1);
    expect(received[0]?.verdict).toEqual({ ok: true });
    expect(received[0]?.path).toBe("/prod/invokecomprehendV1");
    expect(received[0]?.headers["x-amz-date"]).toBe(AMZ_DATE);
    expect(received[0]?.headers.authorization).toContain("/20250101/eu-west-1/execute-api/aws4_request");
    expect(JSON.parse(received[0]?.body ?? "")).toEqual({
      Text: "Spark executor lost ☁️ après la mise à jour",
    });
  });

  it("signs the session token of temporary credentials", async () => {
    // Prepare
    const request = await signClassifyRequest({
      url: methodUrl(baseUrl),
      region: "us-east-1",
      text: "VPN down",
      credentials: { ...CREDENTIALS, sessionToken: "FwoGZXIvYXdzEXAMPLETOKEN" },
      signingDate: SIGNING_DATE,
    });

    // Act
    await sendRequest(request, 5_000);

    // Assess
    expect(received[0]?.verdict).toEqual({ ok: true });
    expect(received[0]?.headers["x-amz-security-token"]).toBe("FwoGZXIvYXdzEXAMPLETOKEN");
    expect(received[0]?.headers.authorization).toMatch(/SignedHeaders=[^,]*x-amz-security-token/);
  });

  it("is rejected by the verifier when the body changes after signing", async () => {
    // Prepare
    const request = await signClassifyRequest({
      url: methodUrl(baseUrl),
      region: "us-east-1",
      text: "original text",
      credentials: CREDENTIALS,
      signingDate: SIGNING_DATE,
    });
    request.body = JSON.stringify({ Text: "tampered text" });

    // Act
    const response = await sendRequest(request, 5_000);

    // Assess
    expect(response.status).toBe(403);
    expect(received[0]?.verdict).toEqual({
      ok: false,
      reason: "The request signature we calculated does not match",
    });
  });
});

describe("classify client", () => {
  it("prints the API's answer as pretty JSON and exits 0", async () => {
    // Prepare
    const d = deps();

    // Act
    const code = await main(["--url", baseUrl, "--region", "us-east-1", "my", "spark", "job", "fails"], d);

    // Assess
    expect(code).toBe(0);
    expect(d.out.join("\n")).toBe(
      JSON.stringify(
        {
          statusCode: 200,
          body: [
            { Name: "SPARK", Score: 0.99 },
            { Name: "HIVE", Score: 0.01 },
          ],
        },
        null,
        2,
      ),
    );
    expect(JSON.parse(received[0]?.body ?? "")).toEqual({ Text: "my spark job fails" });
    expect(received[0]?.verdict).toEqual({ ok: true });
  });

  it("reads the URL from the inference stack's state when --url is not given", async () => {
    // Prepare
    let read = 0;
    const d = deps({
      env: { AWS_REGION: "us-east-1" },
      inferenceOutputs: async () => {
        read++;
        return { rest_api_invoke_url: baseUrl };
      },
      readStdin: async () => "printer offline on floor 3\n",
    });

    // Act
    const code = await main([], d);

    // Assess
    expect(code).toBe(0);
    expect(read).toBe(1);
    expect(JSON.parse(received[0]?.body ?? "")).toEqual({ Text: "printer offline on floor 3\n" });
  });

  it("notes on stderr when the API classified only the beginning of the text", async () => {
    // Prepare
    answer = { status: 200, body: JSON.stringify({ statusCode: 200, body: [], truncated: true }) };
    const d = deps();

    // Act
    const code = await main(["--url", baseUrl, "--region", "us-east-1", "--file", "long.txt"], d);

    // Assess
    expect(code).toBe(0);
    expect(d.err.join("\n")).toContain("only its beginning was classified");
  });

  it("explains a 403 for a missing execute-api:Invoke permission and exits 1", async () => {
    // Prepare
    answer = {
      status: 403,
      body: JSON.stringify({
        Message:
          "User: arn:aws:iam::111122223333:user/desk is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:********1111:a1b2c3/prod/POST/invokecomprehendV1",
      }),
    };
    const d = deps();

    // Act
    const code = await main(["--url", baseUrl, "--region", "us-east-1", "disk full"], d);

    // Assess
    expect(code).toBe(1);
    expect(d.err.join("\n")).toMatch(
      /403 Forbidden: your AWS identity is missing the execute-api:Invoke permission/,
    );
    expect(d.err.join("\n")).toContain("(API request id req-0001)");
  });

  it("explains a rejected signature as a region or credentials problem", async () => {
    // Prepare: signed for the wrong secret, so the verifier refuses it
    const d = deps({ credentials: async () => ({ ...CREDENTIALS, secretAccessKey: "wrong" }) });

    // Act
    const code = await main(["--url", baseUrl, "--region", "us-east-1", "disk full"], d);

    // Assess
    expect(code).toBe(1);
    expect(d.err.join("\n")).toMatch(/request signature was rejected; check --region/);
  });

  it("reports a 503 with the Retry-After the API gave", async () => {
    // Prepare
    answer = {
      status: 503,
      headers: { "Retry-After": "60" },
      body: JSON.stringify({
        statusCode: 503,
        error: "The classifier endpoint is not in service yet; retry later",
      }),
    };
    const d = deps();

    // Act
    const code = await main(["--url", baseUrl, "--region", "us-east-1", "wifi slow"], d);

    // Assess
    expect(code).toBe(1);
    expect(d.err.join("\n")).toMatch(
      /^503 Service Unavailable: the classifier endpoint is not ready yet.*retry after 60 seconds/,
    );
  });

  it.each([
    [400, { statusCode: 400, error: '"Text" is empty' }, /^400 Bad Request: "Text" is empty/],
    [429, { statusCode: 429, error: "Too many classification requests" }, /^429 Too Many Requests/],
    [
      502,
      { statusCode: 502, error: "Classification failed upstream; retry later" },
      /^502 from the API: Classification failed upstream/,
    ],
  ])("reports HTTP %i with the API's message and exits 1", async (status, body, expected) => {
    // Prepare
    answer = { status, body: JSON.stringify(body) };
    const d = deps();

    // Act
    const code = await main(["--url", baseUrl, "--region", "us-east-1", "text"], d);

    // Assess
    expect(code).toBe(1);
    expect(d.err.join("\n")).toMatch(expected);
  });

  it("reports a network failure and exits 3", async () => {
    // Prepare: a port nothing listens on
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const d = deps();

    // Act
    const code = await main(["--url", `http://127.0.0.1:${port}/prod`, "--region", "us-east-1", "text"], d);

    // Assess
    expect(code).toBe(3);
    expect(d.err.join("\n")).toMatch(
      /Could not reach http:\/\/127\.0\.0\.1:\d+\/prod\/invokecomprehendV1: ECONNREFUSED/,
    );
  });

  it("says how to provide credentials when the chain finds none", async () => {
    // Prepare
    const d = deps({
      credentials: async () => {
        throw new Error("Could not load credentials from any providers");
      },
    });

    // Act
    const code = await main(["--url", baseUrl, "--region", "us-east-1", "text"], d);

    // Assess
    expect(code).toBe(2);
    expect(d.err.join("\n")).toMatch(/No usable AWS credentials: set AWS_PROFILE/);
    expect(received).toHaveLength(0);
  });

  it("says the inference stack is not deployed, with the command that deploys it, when it has no state", async () => {
    // Prepare: a fresh clone, nothing deployed (before, this ended with Terraform's "Backend initialization
    // required, please run terraform init").
    const d = deps({ env: { AWS_REGION: "us-east-1" }, inferenceOutputs: async () => undefined });

    // Act
    const code = await main(["text"], d);

    // Assess
    expect(code).toBe(2);
    expect(d.err.join("\n")).toBe(
      'error: The inference stack is not deployed (no state in local state files in /project), so there is no API to call yet. Deploy it with "npm run deploy -- inference --classifier-arn <ARN from the email>", or pass the API URL with --url.',
    );
    expect(received).toHaveLength(0);
  });
});

describe("batch mode (--csv)", () => {
  let dir: string;
  let csv: string;
  const IDS = Array.from({ length: 24 }, (_, i) => `INC${1000 + i}`);
  /** Successful answers per ticket: each must be 1 in the end, whatever failed on the way. */
  let succeeded: Map<string, number>;
  let failedOnce: Set<string>;

  const ticketOf = (body: string) => /INC\d+/.exec(JSON.parse(body).Text as string)?.[0] as string;
  const classes = (id: string) => {
    const n = Number(id.slice(3));
    const top = n % 4 === 0 ? 0.41 : 0.93;
    return {
      statusCode: 200,
      // Out of order, as nothing promises the API's order: the client ranks them.
      body: [
        { Name: "Desktop", Score: 0.01 },
        { Name: n % 2 ? "Network" : "Database", Score: top },
        { Name: "Identity", Score: 0.02 },
      ],
    };
  };
  /** Throttles a third of the tickets once (Retry-After 0), answers 503 for a fifth once, then classifies. */
  const flaky =
    (permanentlyFailing: Set<string> = new Set()) =>
    (body: string): Answer => {
      const id = ticketOf(body);
      const n = Number(id.slice(3));
      if (permanentlyFailing.has(id)) return { status: 500, body: JSON.stringify({ error: "boom" }) };
      if (!failedOnce.has(id) && (n % 3 === 0 || n % 5 === 0)) {
        failedOnce.add(id);
        return n % 3 === 0
          ? {
              status: 429,
              headers: { "retry-after": "0" },
              body: JSON.stringify({ message: "Too Many Requests" }),
            }
          : {
              status: 503,
              headers: { "retry-after": "0" },
              body: JSON.stringify({ error: "endpoint CREATING" }),
            };
      }
      succeeded.set(id, (succeeded.get(id) ?? 0) + 1);
      return { status: 200, body: JSON.stringify(classes(id)) };
    };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "classify-batch-"));
    csv = join(dir, "backlog.csv");
    await writeFile(
      csv,
      `number;short_description;description\n${IDS.map((id) => `${id};"VPN ${id} drops";"since Monday, again"`).join("\n")}\n`,
    );
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    succeeded = new Map();
    failedOnce = new Set();
  });

  const argv = (out: string) => [
    ...["--csv", csv, "--id-column", "number", "--text-columns", "short_description,description"],
    ...["--out", out, "--url", baseUrl, "--region", "eu-west-1", "--concurrency", "4"],
  ];
  const resultsOf = async (out: string) =>
    (await readFile(out, "utf8"))
      .trim()
      .split("\n")
      .slice(1)
      .map((line) => line.split(","));

  it("classifies every ticket exactly once through throttling and 503s, signed, with the results columns", async () => {
    // Prepare
    answer = flaky();
    const out = join(dir, "all.csv");
    const d = deps({ sleep: async () => {} });

    // Act
    const code = await main(argv(out), d);

    // Assess
    expect({ code, err: d.err }).toEqual({ code: 0, err: [] });
    expect(received.every((r) => r.verdict.ok)).toBe(true);
    expect(received.length).toBeGreaterThan(IDS.length);
    expect([...succeeded.values()].every((n) => n === 1)).toBe(true);
    const rows = await resultsOf(out);
    expect((await readFile(out, "utf8")).split("\n")[0]).toBe(
      "id,predicted_label,score,runner_up_label,runner_up_score,needs_review,review_reason",
    );
    expect(rows.map((row) => row[0]).sort()).toEqual([...IDS].sort());
    expect(rows.find((row) => row[0] === "INC1000")).toEqual([
      "INC1000",
      "Database",
      "0.41",
      "Identity",
      "0.02",
      "true",
      "low score",
    ]);
    expect(rows.find((row) => row[0] === "INC1001")).toEqual([
      "INC1001",
      "Network",
      "0.93",
      "Identity",
      "0.02",
      "false",
      "",
    ]);
    expect(d.out.join("\n")).toContain(
      `24 ticket(s) classified now, 0 from an earlier run, 0 failed, of 24; 6 need review`,
    );
  });

  it("resumes an interrupted run, sending only the tickets not in the results yet", async () => {
    // Prepare: the first run loses four tickets to a failing server.
    const out = join(dir, "resumed.csv");
    const lost = new Set(["INC1002", "INC1007", "INC1011", "INC1019"]);
    answer = flaky(lost);
    const first = deps({ sleep: async () => {} });
    expect(await main(argv(out), first)).toBe(1);
    expect(first.err.join("\n")).toContain("Run the same command again to retry the failed tickets");
    received = [];
    succeeded = new Map();

    // Act
    answer = flaky();
    const second = deps({ sleep: async () => {} });
    const code = await main(argv(out), second);

    // Assess
    expect(code).toBe(0);
    expect(new Set(received.map((r) => ticketOf(r.body)))).toEqual(lost);
    expect(second.out.join("\n")).toContain(
      "4 ticket(s) classified now, 20 from an earlier run, 0 failed, of 24",
    );
    const ids = (await resultsOf(out)).map((row) => row[0]);
    expect(ids.length).toBe(IDS.length);
    expect(new Set(ids).size).toBe(IDS.length);
  });

  it("writes an empty ticket's row without calling the API, so a second run has nothing left to send", async () => {
    // Prepare
    answer = flaky();
    const empties = join(dir, "with-empty.csv");
    await writeFile(
      empties,
      'number;short_description;description\nINC1001;"VPN INC1001 drops";\nINC9999;"";""\n',
    );
    const args = (out: string) => argv(out).map((a) => (a === csv ? empties : a));
    const out = join(dir, "with-empty.results.csv");

    // Act
    const first = deps({ sleep: async () => {} });
    const firstCode = await main(args(out), first);
    received = [];
    const second = deps({ sleep: async () => {} });
    const secondCode = await main(args(out), second);

    // Assess
    expect({ firstCode, secondCode }).toEqual({ firstCode: 0, secondCode: 0 });
    expect((await resultsOf(out)).find((row) => row[0] === "INC9999")).toEqual([
      "INC9999",
      "",
      "",
      "",
      "",
      "true",
      "empty ticket",
    ]);
    expect(received).toEqual([]);
    expect(second.out.join("\n")).toContain(
      "0 ticket(s) classified now, 2 from an earlier run, 0 failed, of 2",
    );
  });

  it("outlives its credentials: an expired-token 403 refreshes them and the ticket is sent again", async () => {
    // Prepare: session credentials (SSO, an assumed role) that API Gateway stops accepting after 5 requests,
    // and a provider chain that hands out the same ones until asked to refresh.
    answer = flaky();
    let token = "session-1";
    let refreshes = 0;
    const provider = async (options?: { forceRefresh?: boolean }) => {
      if (options?.forceRefresh) {
        refreshes++;
        token = `session-${refreshes + 1}`;
      }
      return { ...CREDENTIALS, sessionToken: token };
    };
    let served = 0;
    const expiring = answer;
    answer = (body: string) => {
      const last = received[received.length - 1];
      if (last?.headers["x-amz-security-token"] === "session-1" && ++served > 5) {
        return {
          status: 403,
          body: JSON.stringify({ message: "The security token included in the request is expired" }),
        };
      }
      return (expiring as (body: string) => Answer)(body);
    };
    const out = join(dir, "expiring.csv");

    // Act
    const d = deps({ credentials: provider, sleep: async () => {} });
    const code = await main(argv(out), d);

    // Assess
    expect({ code, err: d.err }).toEqual({ code: 0, err: [] });
    expect(refreshes).toBeGreaterThanOrEqual(1);
    expect((await resultsOf(out)).map((row) => row[0]).sort()).toEqual([...IDS].sort());
    expect(received[received.length - 1]?.headers["x-amz-security-token"]).not.toBe("session-1");
  });

  it("names a missing id or text column before it looks for credentials or the API", async () => {
    answer = flaky();
    const d = deps({
      credentials: async () => {
        throw new Error("must not be asked");
      },
      inferenceOutputs: async () => {
        throw new Error("must not be asked");
      },
    });

    const code = await main([...argv(join(dir, "x.csv")).map((a) => (a === "number" ? "ticket" : a))], d);

    expect(code).toBe(2);
    expect(d.err.join("\n")).toContain('the CSV has no id column "ticket"');
    expect(d.err.join("\n")).toContain("--id-column");
  });
});
