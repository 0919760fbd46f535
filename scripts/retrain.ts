/**
 * `npm run retrain`: asks for the next version of the served model. It writes a retraining request under
 * retrain_input/ in the data bucket; the ETL function builds the set (the served model's documents, its test
 * set and every correction) and the pipeline trains it as a new version, as it does an upload.
 */
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { parseClassifierArn } from "../contract/arns";
import { type RetrainRequest, retrainRequestKey } from "../contract/retraining";
import { CommandFailure, type CommandSpec, runCommand, UsageError } from "./lib/command";
import { runWithProjectState } from "./lib/project-command";
import { explainCredentials, type StateSource } from "./lib/state";

export const USAGE = `Usage: npm run retrain [-- --classifier-arn <arn>]

Asks for the next version of the served model: its training documents and every correction stored since
(a correction wins over an older label of the same text), tested on the same test documents, trained as a
new version of the same classifier. The emails follow: "Dataset ready", "Training started", and when it is
trained the comparison with the served version, ending with the command that promotes it.

Options:
  --classifier-arn <arn>  Build on this classifier version instead of the one the inference stack serves.

Uses your AWS credentials (s3:PutObject on retrain_input/ in the data bucket, and the key's
kms:GenerateDataKey).`;

export interface RetrainDeps {
  readonly state: StateSource;
  readonly s3: (region: string) => S3Client;
  readonly now: () => Date;
}

export class RetrainError extends Error {
  override readonly name = "RetrainError";
}

export async function requestRetraining(
  deps: RetrainDeps,
  classifierArn?: string,
): Promise<{ key: string; bucket: string; served: string }> {
  const [training, inference] = await Promise.all([
    deps.state.outputs("training"),
    deps.state.outputs("inference"),
  ]);
  if (!training)
    throw new RetrainError("the training stack is not deployed: npm run deploy -- data network training");
  const served =
    classifierArn ??
    (typeof inference?.served_classifier_arn === "string" ? inference.served_classifier_arn : "");
  if (!served) {
    throw new RetrainError(
      "no model is served yet (the inference stack is not deployed): name the one to build on with --classifier-arn <arn>",
    );
  }
  const bucket = String(training.s3_bucket_name);
  const region = parseClassifierArn(served)?.region ?? String(training.sns_topic_arn).split(":")[3] ?? "";
  const key = retrainRequestKey(deps.now());
  const request: RetrainRequest = {
    served_classifier_arn: served,
    requested_at: deps.now().toISOString(),
    requested_by: "operator",
  };
  await deps.s3(region).send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: JSON.stringify(request, null, 2),
      ContentType: "application/json",
      // Two requests in the same second are one request.
      IfNoneMatch: "*",
    }),
  );
  return { key, bucket, served };
}

export function retrainCommand(deps: RetrainDeps): CommandSpec<{ "classifier-arn": { type: "string" } }> {
  return {
    usage: USAGE,
    options: { "classifier-arn": { type: "string" } },
    explain: explainCredentials,
    run: async ({ values }, io) => {
      const arn = values["classifier-arn"];
      if (arn !== undefined && !parseClassifierArn(arn)) {
        throw new UsageError(`--classifier-arn needs a document classifier ARN, got "${arn}"`);
      }
      try {
        const { key, bucket, served } = await requestRetraining(deps, arn);
        io.out(
          [
            `Asked for the next version of ${served}: s3://${bucket}/${key}.`,
            'The "Dataset ready" email follows within minutes (what the corrections changed), then "Training started";',
            "when the new version is trained, an email compares it with the served one on the same test documents.",
          ].join("\n"),
        );
      } catch (error) {
        if (error instanceof RetrainError) throw new CommandFailure(error.message, 1, { cause: error });
        if ((error as Error).name === "PreconditionFailed") {
          throw new CommandFailure(
            "a retraining request was written this second already; nothing more to do",
            1,
          );
        }
        throw error;
      }
    },
  };
}

export function main(
  argv: readonly string[],
  deps: RetrainDeps,
  out: (t: string) => void,
  err: (t: string) => void,
): Promise<number> {
  return runCommand(retrainCommand(deps), argv, { out, err });
}

if (require.main === module) {
  runWithProjectState((state) =>
    retrainCommand({ state, s3: (region) => new S3Client({ region }), now: () => new Date() }),
  );
}
