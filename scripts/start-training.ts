/**
 * `npm run start-training -- --run <run-id>`: starts Comprehend training for a finished ETL run by hand, when
 * the baseline held it back (min_baseline_macro_f1) or to train a run again after deleting its classifier. It
 * announces the run's training data as the ETL does (`etl_completed` on the pipeline topic); the train
 * function does the rest, once per run id.
 */
import { GetObjectCommand, NoSuchKey, S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { DATA_PREFIXES, runLayout } from "../contract/data-layout";
import type { EtlReport } from "../functions/etl/etl";
import { completedEvent } from "../functions/etl/outgoing-events";
import { publishEvent } from "../functions/shared/events";
import { CommandFailure, type CommandSpec, runCommand, UsageError } from "./lib/command";
import { runWithProjectState } from "./lib/project-command";
import { explainCredentials, type StateSource } from "./lib/state";

export const USAGE = `Usage: npm run start-training -- --run <run-id>

Starts Comprehend training for a run whose training data the ETL has written (its report is in the bucket
under reports/<run-id>/): when the baseline held it below min_baseline_macro_f1, or to train again after
deleting the run's classifier. Uses your AWS credentials (sns:Publish on the pipeline topic, s3:GetObject
on reports/). The run ids are in the emails and in npm run status.`;

export class StartTrainingError extends Error {
  override readonly name = "StartTrainingError";
}

export interface StartDeps {
  readonly state: StateSource;
  readonly s3: (region: string) => S3Client;
  readonly sns: (region: string) => SNSClient;
}

export async function startTraining(
  runId: string,
  deps: StartDeps,
): Promise<{ messageId?: string; topicArn: string }> {
  const training = await deps.state.outputs("training");
  if (!training)
    throw new StartTrainingError(
      "the training stack is not deployed: npm run deploy -- data network training",
    );
  const topicArn = String(training.sns_topic_arn);
  const bucket = String(training.s3_bucket_name);
  const region = topicArn.split(":")[3] as string;
  const layout = runLayout(DATA_PREFIXES, runId);
  let report: EtlReport & {
    run_id: string;
    source: { bucket: string; key: string; version_id?: string | null; etag?: string | null };
  };
  try {
    const object = await deps
      .s3(region)
      .send(new GetObjectCommand({ Bucket: bucket, Key: layout.reportKey }));
    report = JSON.parse((await object.Body?.transformToString("utf8")) ?? "{}");
  } catch (error) {
    if (error instanceof NoSuchKey || (error as Error).name === "NoSuchKey") {
      throw new StartTrainingError(
        `run ${runId} has no report at s3://${bucket}/${layout.reportKey}: it was rejected, is still running, or the id is mistyped (npm run status lists the runs)`,
      );
    }
    throw error;
  }
  const source = {
    bucket: report.source.bucket,
    key: report.source.key,
    versionId: report.source.version_id ?? undefined,
    eTag: report.source.etag ?? undefined,
  };
  const event = completedEvent(
    source,
    {
      runId,
      trainingDataUri: `s3://${bucket}/${layout.trainingDataPrefix}`,
      testDataUri: `s3://${bucket}/${layout.testDataKey}`,
      reportUri: `s3://${bucket}/${layout.reportKey}`,
    },
    report,
  );
  const messageId = await publishEvent(deps.sns(region), topicArn, {
    ...event,
    subject: `Training started by hand: ${event.subject}`,
  });
  return { messageId, topicArn };
}

/** The command, given how it reaches AWS (tests pass mocked clients). */
export function startTrainingCommand(deps: StartDeps): CommandSpec<{ run: { type: "string" } }> {
  return {
    usage: USAGE,
    options: { run: { type: "string" } },
    explain: explainCredentials,
    run: async ({ values }, io) => {
      if (!values.run || !/^[a-z0-9](-*[a-z0-9])*$/.test(values.run)) {
        throw new UsageError("--run needs a run id such as dataverse-files-3fa9c2d41b7e");
      }
      try {
        const { topicArn } = await startTraining(values.run, deps);
        io.out(
          `Announced run ${values.run} on ${topicArn}: training starts within a minute; the "Training started" email follows.`,
        );
      } catch (error) {
        if (error instanceof StartTrainingError) throw new CommandFailure(error.message, 1, { cause: error });
        throw error;
      }
    },
  };
}

export function main(
  argv: readonly string[],
  deps: StartDeps,
  out: (t: string) => void,
  err: (t: string) => void,
): Promise<number> {
  return runCommand(startTrainingCommand(deps), argv, { out, err });
}

if (require.main === module) {
  runWithProjectState((state) =>
    startTrainingCommand({
      state,
      s3: (region) => new S3Client({ region }),
      sns: (region) => new SNSClient({ region }),
    }),
  );
}
