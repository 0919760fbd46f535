/**
 * The review page's first paint with a long queue: the time from opening `npm run review`'s address in a
 * headless Chromium to the first ticket on screen, with 5,000 tickets queued (the server lists the queue once,
 * then fetches only the ticket it shows). The queue is in memory: S3's listing time is not measured here.
 *
 *   npm run bench:review -- [--queued 5000] [--runs 5]
 */
import { cpus, totalmem } from "node:os";
import type { ReviewItem } from "../contract/review";
import { startReviewServer } from "../scripts/review/server";
import { memoryReviewStore } from "../scripts/review/store";
import { benchArgs, wholeNumber } from "./args";

const USAGE = `usage: npm run bench:review -- [--queued 5000] [--runs 5]

Opens the review page on a queue of --queued tickets in a headless Chromium (/usr/bin/chromium) --runs times and
prints the median and worst time to the first contentful paint and to the first ticket on screen.`;
const values = benchArgs(USAGE, {
  queued: { type: "string", default: "5000" },
  runs: { type: "string", default: "5" },
});
const queued = wholeNumber("queued", values.queued, 1, USAGE);
const runs = wholeNumber("runs", values.runs, 1, USAGE);

const LABELS = ["Network", "Hardware", "Desk", "Database", "Access", "Email", "Printing", "Telephony"];
const items: ReviewItem[] = Array.from({ length: queued }, (_, i) => ({
  id: `req-${String(i).padStart(6, "0")}`,
  text: `Ticket ${i}: the VPN client disconnects every few minutes on the third floor since the update. `.repeat(
    3,
  ),
  predicted_label: LABELS[i % LABELS.length] as string,
  score: 0.41,
  scores: LABELS.map((label, rank) => ({ label, score: Math.max(0.01, 0.41 - rank * 0.05) })),
  threshold: 0.5,
  received_at: new Date(Date.UTC(2026, 11, 1) + i * 1000).toISOString(),
  source: "api",
}));

async function main(): Promise<void> {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  });
  const paint: number[] = [];
  const ticket: number[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      // A fresh server each run: the first request lists the whole queue, as a fresh `npm run review` does.
      const server = await startReviewServer(memoryReviewStore(items));
      const page = await browser.newPage();
      await page.goto(server.url);
      await page.locator("#text", { hasText: "Ticket 0:" }).waitFor();
      const times = await page.evaluate(() => ({
        paint: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? Number.NaN,
        ticket: performance.now(),
      }));
      paint.push(times.paint);
      ticket.push(times.ticket);
      await page.close();
      await server.close();
    }
  } finally {
    await browser.close();
  }
  const median = (values: number[]) =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  const ms = (value: number) => `${value.toFixed(0)} ms`;
  console.log(
    `machine: ${cpus().length} x ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.versions.node}`,
  );
  console.log(`command: npm run bench:review -- --queued ${queued} --runs ${runs}`);
  console.log(`${queued} tickets queued, ${runs} runs:`);
  console.log(`  first contentful paint: median ${ms(median(paint))}, worst ${ms(Math.max(...paint))}`);
  console.log(`  first ticket on screen: median ${ms(median(ticket))}, worst ${ms(Math.max(...ticket))}`);
}

main().catch((error: unknown) => {
  console.error(`error: ${(error as Error).message}`);
  process.exitCode = 1;
});
