/**
 * Worker thread that decodes bzip2 blocks handed out by the parallel decompressor (bunzip.ts). One decoder per
 * thread keeps its 3.6 MB BWT buffer across blocks.
 */
import { parentPort } from "node:worker_threads";
import { type BlockJob, decodeJob } from "./job";

const port = parentPort;
if (!port) throw new Error("bunzip.worker must run in a worker thread");

port.on("message", (job: BlockJob) => {
  const result = decodeJob(job);
  port.postMessage(result, result.ok ? [result.data.buffer as ArrayBuffer] : []);
});
