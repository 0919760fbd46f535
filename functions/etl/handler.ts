/**
 * ETL Lambda: S3 ObjectCreated (raw_data/*.zip|*.csv) -> Comprehend training CSVs under
 * PREPPED_PREFIX<run-id>/, a report under REPORTS_PREFIX<run-id>/, and an `etl_completed` event (or
 * `etl_failed` for unusable input) on the pipeline topic. Unexpected failures throw so Lambda retries and its
 * on-failure destination tells the operator.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import type { Context, S3Event } from "aws-lambda";
import { checkPrefix, DATA_PREFIXES } from "../../contract/data-layout";
import {
  DEFAULT_BASELINE_MAX_DOCUMENTS,
  ETL_DEFAULTS,
  ETL_ENVIRONMENT,
  splitList,
} from "../../contract/environment";
import { isRetrainRequestKey } from "../../contract/retraining";
import { type BaselineBudget, runBaseline } from "../evaluation/baseline";
import { assertNamePrefix } from "../pipeline-shared/naming";
import {
  ConfigError,
  readBool,
  readContract,
  readFraction,
  readNonNegativeInt,
  readPositiveInt,
} from "../shared/config";
import { createLogger } from "../shared/logger";
import { type ImportOutcome, importCorrections } from "./corrections-import";
import { processUpload, type UploadOutcome } from "./process-upload";
import { prepareRetraining } from "./retrain";
import { isDatasetKey, parseS3Event } from "./source";

const config = readContract(ETL_ENVIRONMENT);
for (const name of ["PREPPED_PREFIX", "REPORTS_PREFIX"] as const) {
  const problem = checkPrefix(name, config[name]);
  if (problem) throw new ConfigError(problem);
}
const settings = {
  labelColumn: config.CSV_LABEL_COLUMN,
  textColumns: splitList(config.CSV_TEXT_COLUMNS),
  minDocsPerLabel: readPositiveInt(
    "MIN_DOCS_PER_LABEL",
    config.MIN_DOCS_PER_LABEL,
    ETL_DEFAULTS.minDocsPerLabel,
  ),
  maxDocBytes: readPositiveInt("MAX_DOC_BYTES", config.MAX_DOC_BYTES, ETL_DEFAULTS.maxDocBytes),
  mergeLabelVariants: readBool("MERGE_LABEL_VARIANTS", config.MERGE_LABEL_VARIANTS),
  testShare:
    config.TEST_SHARE === undefined ? ETL_DEFAULTS.testShare : readFraction("TEST_SHARE", config.TEST_SHARE),
  columnSettings: { label: "the csv_label_column variable", text: "the csv_text_columns variable" },
};
const baselineMaxDocuments = readNonNegativeInt(
  "BASELINE_MAX_DOCUMENTS",
  config.BASELINE_MAX_DOCUMENTS,
  DEFAULT_BASELINE_MAX_DOCUMENTS,
);
const minBaselineMacroF1 = readFraction("MIN_BASELINE_MACRO_F1", config.MIN_BASELINE_MACRO_F1);
const baseline =
  baselineMaxDocuments === 0
    ? undefined
    : (trainingDataDir: string, runId: string, budget: BaselineBudget) =>
        runBaseline(trainingDataDir, {
          maxDocuments: baselineMaxDocuments,
          budget,
          title: `Baseline for run ${runId}: how well its labels can be told apart`,
          // Vega is an ES module with top-level await: loaded when a page is drawn, not at cold start.
          render: async (evaluation, title) =>
            (await import("../evaluation/report-page")).renderReport(evaluation, title),
        });

const namePrefix = assertNamePrefix(config.NAME_PREFIX);
const logger = createLogger("etl");
const s3 = new S3Client({});
const sns = new SNSClient({});

export const handler = async (
  event: S3Event,
  context: Context,
): Promise<(UploadOutcome | ImportOutcome)[]> => {
  logger.addContext(context);
  const outcomes: (UploadOutcome | ImportOutcome)[] = [];
  for (const source of parseS3Event(event)) {
    if (source.key.startsWith(DATA_PREFIXES.correctionsInput)) {
      // The export of closed tickets: their final labels become corrections for the next training set.
      const outcome = await importCorrections(source, {
        s3,
        sns,
        topicArn: config.TOPIC_ARN,
        workDir: config.WORK_DIR,
        settings,
        now: () => new Date(),
      });
      logger.info("corrections import", { ...outcome, source_key: source.key });
      outcomes.push(outcome);
      continue;
    }
    const retraining = isRetrainRequestKey(source.key);
    if (!retraining && !isDatasetKey(source.key)) {
      logger.warn("Ignoring an object that is not a .zip or .csv upload", { key: source.key });
      continue;
    }
    try {
      outcomes.push(
        await processUpload(
          source,
          {
            s3,
            sns,
            logger,
            topicArn: config.TOPIC_ARN,
            workDir: config.WORK_DIR,
            preppedPrefix: config.PREPPED_PREFIX,
            reportsPrefix: config.REPORTS_PREFIX,
            settings,
            invocationId: context.awsRequestId,
            remainingMs: () => context.getRemainingTimeInMillis(),
            memoryMb: Number(process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? "4096"),
            ...(baseline ? { baseline } : {}),
            minBaselineMacroF1,
          },
          retraining ? prepareRetraining(namePrefix) : undefined,
        ),
      );
    } catch (error) {
      logger.error("ETL failed unexpectedly; Lambda will retry, then report to the operator", error as Error);
      throw error;
    } finally {
      logger.removeKeys(["run_id", "source_key"]);
    }
  }
  return outcomes;
};
