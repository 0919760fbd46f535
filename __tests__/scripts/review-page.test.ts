/**
 * `npm run review`'s page, in a real headless browser (Debian's chromium): the queued tickets one by one,
 * answered by key, by click and by typing, each answer a correction, no external requests, no console errors.
 */
import { request } from "node:http";
import type { Browser } from "playwright-core";
import type { ReviewItem } from "../../contract/review";
import { type ReviewServer, startReviewServer } from "../../scripts/review/server";
import { memoryReviewStore } from "../../scripts/review/store";

const CHROMIUM = "/usr/bin/chromium";

const item = (id: string, minute: number, text: string, scores: [string, number][]): ReviewItem => ({
  id,
  text,
  predicted_label: scores[0]?.[0] ?? "",
  score: scores[0]?.[1] ?? 0,
  scores: scores.map(([label, score]) => ({ label, score })),
  threshold: 0.5,
  received_at: `2026-12-01T09:${String(minute).padStart(2, "0")}:00.000Z`,
  source: "api",
});
const QUEUE = [
  item("req-1", 1, "VPN drops every ten minutes <b>since</b> Monday", [
    ["Hardware", 0.41],
    ["Network", 0.38],
    ["Desk", 0.21],
  ]),
  item("req-2", 2, "Cannot print to floor 3", [
    ["Network", 0.45],
    ["Hardware", 0.4],
    ["Desk", 0.15],
  ]),
  item("req-3", 3, "New badge reader in the lobby", [
    ["Desk", 0.34],
    ["Hardware", 0.33],
    ["Network", 0.33],
  ]),
];

let browser: Browser;
let server: ReviewServer;
let store: ReturnType<typeof memoryReviewStore>;

beforeAll(async () => {
  const { chromium } = await import("playwright-core");
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  });
});
afterAll(async () => browser?.close());
beforeEach(async () => {
  store = memoryReviewStore(QUEUE);
  server = await startReviewServer(store, { now: () => new Date("2026-12-04T10:00:00Z") });
});
afterEach(async () => server.close());

describe("npm run review's page", () => {
  it("shows the oldest ticket with the model's answer and runner-up, and takes answers by key, click and typing", async () => {
    // Prepare
    const page = await browser.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") problems.push(message.text());
    });
    page.on("pageerror", (error) => problems.push(error.message));
    page.on("request", (r) => requests.push(new URL(r.url()).host));

    // Act 1: open the page.
    await page.goto(server.url);

    // Assess 1: the text as text (no markup from a ticket), the model's answer, the labels by rank.
    await page.locator("#text", { hasText: "VPN drops" }).waitFor();
    expect(await page.textContent("#text")).toBe("VPN drops every ten minutes <b>since</b> Monday");
    expect(await page.textContent("#model")).toBe("Model: Hardware (41%), runner-up: Network (38%)");
    expect(await page.locator("#labels button").allTextContents()).toEqual([
      "1Hardware",
      "2Network",
      "3Desk",
    ]);
    expect(await page.textContent("#remaining")).toBe("3 queued");

    // Act 2: the runner-up by its number key, the next one by a click, the last by typing a new label.
    await page.keyboard.press("2");
    await page.locator("#text", { hasText: "Cannot print" }).waitFor();
    await page.locator("#labels button", { hasText: "Hardware" }).click();
    await page.locator("#text", { hasText: "badge reader" }).waitFor();
    await page.fill("#other-label", "Facilities");
    await page.press("#other-label", "Enter");
    await page.locator("#empty").waitFor({ state: "visible" });

    // Assess 2: three corrections with the ticket, the label given and what the model had said; queue empty.
    expect(store.corrections.map((c) => [c.review_id, c.label, c.predicted_label, c.source])).toEqual([
      ["req-1", "Network", "Hardware", "review-page"],
      ["req-2", "Hardware", "Network", "review-page"],
      ["req-3", "Facilities", "Desk", "review-page"],
    ]);
    expect(store.corrections[0]).toMatchObject({
      text: QUEUE[0]?.text,
      corrected_at: "2026-12-04T10:00:00.000Z",
    });
    expect(await store.queued()).toEqual([]);
    expect(problems).toEqual([]);
    expect(new Set(requests)).toEqual(new Set([new URL(server.url).host]));
    await page.close();
  });

  it("skips a ticket with s, leaving it queued", async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.locator("#text", { hasText: "VPN drops" }).waitFor();

    await page.keyboard.press("s");
    await page.locator("#text", { hasText: "Cannot print" }).waitFor();

    expect(store.corrections).toEqual([]);
    expect(await store.queued()).toEqual(["req-1", "req-2", "req-3"]);
    await page.close();
  });

  it("answers nobody without the session's token or from another host name", async () => {
    const { port } = new URL(server.url);
    const get = (path: string, headers: Record<string, string> = {}) =>
      new Promise<number>((resolve, reject) => {
        request({ host: "127.0.0.1", port, path, headers }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        })
          .on("error", reject)
          .end();
      });

    expect(await get("/")).toBe(403);
    expect(await get("/api/next")).toBe(403);
    // A page on another site that points a name at 127.0.0.1 (DNS rebinding) sends its own Host.
    expect(
      await get(new URL(server.url).pathname + new URL(server.url).search, { Host: `evil.example:${port}` }),
    ).toBe(403);
    expect(await get(new URL(server.url).pathname + new URL(server.url).search)).toBe(200);
  });
});
