/**
 * The review page's server: on 127.0.0.1 only, one page and a small JSON API, each request checked for the
 * session's token and this host (no other local program or web page can answer for the operator).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type Correction,
  MAX_LABEL_CHARACTERS,
  RECORD_ID_PATTERN,
  type ReviewItem,
} from "../../contract/review";
import { reviewPage } from "./page";
import type { ReviewStore } from "./store";

export interface ReviewServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 16 * 1024;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

interface Next {
  readonly item: ReviewItem | null;
  readonly remaining: number;
}

export async function startReviewServer(
  store: ReviewStore,
  options: { port?: number; now?: () => Date } = {},
): Promise<ReviewServer> {
  const token = randomBytes(24).toString("hex");
  const now = options.now ?? (() => new Date());
  let host = "";
  // The queue as listed at the start (and again once worked through): answering does not re-list 5,000 keys.
  let queue: string[] | undefined;
  const skipped = new Set<string>();

  async function next(): Promise<Next> {
    queue ??= await store.queued();
    while (queue.length > 0) {
      const id: string | undefined = queue.find((candidate) => !skipped.has(candidate));
      if (id === undefined) break;
      const item = await store.item(id);
      if (item) return { item, remaining: queue.length };
      queue = queue.filter((candidate: string) => candidate !== id);
    }
    if (queue.length === 0 || skipped.size > 0) {
      queue = undefined;
      skipped.clear();
    }
    return { item: null, remaining: 0 };
  }

  async function answer(body: unknown): Promise<Next> {
    const { id, label } = (body ?? {}) as { id?: unknown; label?: unknown };
    if (typeof id !== "string" || !RECORD_ID_PATTERN.test(id))
      throw new BadRequest("id must be a queued ticket's id");
    if (
      typeof label !== "string" ||
      label.trim() === "" ||
      label.trim().length > MAX_LABEL_CHARACTERS ||
      CONTROL.test(label)
    ) {
      throw new BadRequest(`label must be 1-${MAX_LABEL_CHARACTERS} characters on one line`);
    }
    const item = await store.item(id);
    if (!item) throw new BadRequest(`ticket ${id} is no longer queued`);
    const correction: Correction = {
      id: randomUUID(),
      text: item.text,
      label: label.trim(),
      corrected_at: now().toISOString(),
      source: "review-page",
      review_id: item.id,
      predicted_label: item.predicted_label,
    };
    await store.answer(item, correction);
    queue = queue?.filter((candidate) => candidate !== id);
    return next();
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", `http://${host}`);
    if (request.headers.host !== host) return send(response, 403, { error: "wrong host" });
    if (request.method === "GET" && url.pathname === "/") {
      if (url.searchParams.get("token") !== token)
        return send(response, 403, { error: "open the address npm run review printed" });
      const nonce = randomBytes(16).toString("base64");
      response.writeHead(200, {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; base-uri 'none'; form-action 'none'`,
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
      });
      response.end(reviewPage({ nonce, store: store.description }));
      return;
    }
    if (request.headers["x-review-token"] !== token)
      return send(response, 403, { error: "missing or wrong session token" });
    if (request.method === "GET" && url.pathname === "/api/next") return send(response, 200, await next());
    if (request.method === "POST" && url.pathname === "/api/skip") {
      const { id } = (await readJson(request)) as { id?: unknown };
      if (typeof id === "string") skipped.add(id);
      return send(response, 200, await next());
    }
    if (request.method === "POST" && url.pathname === "/api/answer") {
      return send(response, 200, await answer(await readJson(request)));
    }
    return send(response, 404, { error: "not found" });
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (error instanceof BadRequest) send(response, 400, { error: error.message });
      else send(response, 500, { error: `${(error as Error).name}: ${(error as Error).message}` });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  host = `127.0.0.1:${port}`;
  return {
    url: `http://${host}/?token=${token}`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

class BadRequest extends Error {
  override readonly name = "BadRequest";
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store" });
  response.end(JSON.stringify(body));
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BadRequest("request body too large");
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
  } catch {
    throw new BadRequest("request body is not JSON");
  }
}
