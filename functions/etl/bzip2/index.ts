/**
 * The bzip2 codec, as the ETL uses it: decode one member of a zip into a file, with its blocks decoded side by
 * side on worker threads. Everything else in this folder (the block decoder, the block splitter, the worker's
 * job) is the codec's own business.
 */
export {
  BlockDecodePool,
  type BunzipProgress,
  Bzip2DataError,
  bunzipToFile,
  defaultWorkerCount,
} from "./stream";
