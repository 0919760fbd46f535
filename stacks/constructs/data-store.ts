import { Fn } from "cdktf";
import { DATA_PREFIXES } from "../../contract/data-layout";
import type { UpstreamOutputs } from "../app-stack";
import type { DATA_OUTPUTS, OutputName } from "../outputs";

/**
 * The app's bucket and key as the stacks that use them see them: plain values, whether the stack owns the
 * resources (the data stack) or reads them from the data stack's state (training, inference, network).
 */
export interface DataStore {
  readonly bucketName: string;
  readonly bucketArn: string;
  readonly keyArn: string;
  /** From the key's ARN, so that planning needs no STS call. */
  readonly partition: string;
  readonly accountId: string;
}

export function objectArns(store: Pick<DataStore, "bucketArn">, prefix: string): string {
  return `${store.bucketArn}/${prefix}*`;
}

/**
 * What counting the corrections since the last retraining request and writing the next one takes
 * (functions/pipeline-shared/retrain-trigger.ts); ListBucket also turns a missing key's 403 into a 404.
 */
export function retrainTriggerStatements(store: Pick<DataStore, "bucketArn">) {
  return [
    { sid: "ListCorrectionsAndRequests", actions: ["s3:ListBucket"], resources: [store.bucketArn] },
    {
      sid: "CountImportedCorrections",
      actions: ["s3:GetObject"],
      resources: [objectArns(store, DATA_PREFIXES.corrections)],
    },
    {
      sid: "RequestRetraining",
      actions: ["s3:PutObject"],
      resources: [objectArns(store, DATA_PREFIXES.retrainInput)],
    },
  ];
}

/** Partition and account of a key, read from its ARN. */
export function keyArnParts(keyArn: string): { partition: string; accountId: string } {
  const parts = Fn.split(":", keyArn);
  return { partition: Fn.element(parts, 1), accountId: Fn.element(parts, 4) };
}

/** The data stack's outputs, read by the names it declares (stacks/outputs.ts). */
export function dataStoreFromState(state: UpstreamOutputs<OutputName<typeof DATA_OUTPUTS>>): DataStore {
  const keyArn = state.getString("kms_key_arn");
  return {
    bucketName: state.getString("s3_bucket_name"),
    bucketArn: state.getString("s3_bucket_arn"),
    keyArn,
    ...keyArnParts(keyArn),
  };
}
