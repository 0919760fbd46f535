/**
 * Smoke test of the bundled ETL Lambda (dist/functions/etl/index.mjs, run `npm run build:functions` first):
 * imports the bundle like the Lambda runtime does, and invokes its handler on an S3 event against a fake
 * S3 + SNS endpoint on 127.0.0.1. Proves what jest cannot: the bundle loads, finds its worker file
 * (bunzip.worker.mjs) next to index.mjs, and runs end to end.
 *
 *   npm run build:functions && npx tsx bench/etl-bundle-smoke.ts
 */
import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { buildFixtureSet } from "../__tests__/fixtures/etl/fixture-set";

async function main(): Promise<void> {
  const bundle = resolve(__dirname, "../dist/functions/etl/index.mjs");
  const fixtures = await buildFixtureSet();
  const workDir = mkdtempSync(join(tmpdir(), "etl-smoke-efs-"));
  const stored = new Map<string, Buffer>();
  const published: string[] = [];

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.headers["content-type"]?.includes("x-www-form-urlencoded") || req.headers["x-amz-target"]) {
      published.push(body.toString("utf8"));
      if (req.headers["x-amz-target"]) {
        res.writeHead(200, { "content-type": "application/x-amz-json-1.0" }).end('{"MessageId":"m-1"}');
      } else {
        res
          .writeHead(200, { "content-type": "text/xml" })
          .end(
            '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>',
          );
      }
      return;
    }
    const key = decodeURIComponent(url.pathname.replace(/^\/data-bucket\//, ""));
    if (req.method === "HEAD") {
      res.writeHead(stored.has(key) ? 200 : 404).end();
    } else if (req.method === "GET" && key === "raw_data/dataverse_files.zip") {
      res.writeHead(200, { "content-type": "application/zip" }).end(readFileSync(fixtures.goodZip));
    } else if (req.method === "PUT") {
      stored.set(key, body);
      res.writeHead(200, { etag: '"e"' }).end();
    } else {
      res.writeHead(404).end();
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  Object.assign(process.env, {
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ENDPOINT_URL_SNS: endpoint,
    TOPIC_ARN: "arn:aws:sns:us-east-1:123456789012:pipeline",
    WORK_DIR: workDir,
    PREPPED_PREFIX: "prepped_data/",
    REPORTS_PREFIX: "reports/",
    CSV_LABEL_COLUMN: "assignment_group",
    CSV_TEXT_COLUMNS: "short_description,description",
    MIN_DOCS_PER_LABEL: "5",
    MAX_DOC_BYTES: "10000",
    POWERTOOLS_LOG_LEVEL: "WARN",
  });
  try {
    const { handler } = await import(pathToFileURL(bundle).href);
    const event = {
      Records: [
        {
          eventName: "ObjectCreated:CompleteMultipartUpload",
          s3: {
            bucket: { name: "data-bucket" },
            object: { key: "raw_data/dataverse_files.zip", versionId: "v1", eTag: "e1", size: 1 },
          },
        },
      ],
    };
    const result = await handler(event, { awsRequestId: "smoke", functionName: "etl" });
    const keys = [...stored.keys()].sort();
    if (
      !keys.some((key) => key.endsWith("/0000-spark.csv")) ||
      !keys.some((key) => key.endsWith("/report.json"))
    ) {
      throw new Error(`unexpected uploads: ${keys.join(", ")}`);
    }
    if (!published.some((message) => message.includes("etl_completed")))
      throw new Error("no etl_completed published");
    if (readdirSync(workDir).length > 0) throw new Error("work directory not cleaned up");
    console.log(`bundle OK: ${JSON.stringify(result)}\nuploaded: ${keys.join(", ")}`);
  } finally {
    server.close();
    rmSync(workDir, { recursive: true, force: true });
    rmSync(fixtures.dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
