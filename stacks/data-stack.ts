import { TerraformVariable } from "cdktf";
import type { Construct } from "constructs";
import { AppStack, type AppStackProps } from "./app-stack";
import { AppKey } from "./constructs/app-key";
import { DataBucket } from "./constructs/data-bucket";
import type { DataStore } from "./constructs/data-store";
import { hcl, wholeNumberBetween } from "./constructs/terraform-expression";
import { DATA_OUTPUTS } from "./outputs";

/**
 * What must outlive the pipeline: the bucket with every dataset, report and model output, and the key that
 * encrypts them. A stack of its own, so that destroying `training` (or any other stack) cannot strip the
 * bucket's protections or schedule the key's deletion; Terraform destroys a stack's dependants before what
 * they depend on, so in one stack a refused bucket deletion came only after its public access block, policy,
 * encryption and lifecycle rules were gone. Destroying this stack is the deliberate "delete everything" step.
 */
export class DataStack extends AppStack {
  readonly key: AppKey;
  readonly data: DataBucket;
  readonly store: DataStore;

  constructor(scope: Construct, props: AppStackProps) {
    super(scope, "data", props);
    const { namePrefix, region } = this.variables;

    const bucketForceDestroy = new TerraformVariable(this, "bucket_force_destroy", {
      type: "bool",
      description:
        "Let `npm run destroy -- data` delete the bucket with every dataset, training file and model in it. Keep false unless you mean it.",
      default: false,
    });
    const noncurrentVersionDays = new TerraformVariable(this, "noncurrent_version_retention_days", {
      type: "number",
      description: "Days S3 keeps overwritten or deleted object versions before removing them.",
      default: 90,
      validation: [
        {
          condition: hcl("var.noncurrent_version_retention_days >= 1"),
          errorMessage: "noncurrent_version_retention_days must be at least 1.",
        },
      ],
    });

    const reviewRetentionDays = new TerraformVariable(this, "review_retention_days", {
      type: "number",
      description:
        "Days a low-score ticket waits in the review queue (review/queue/ in the bucket) for a person's label before it expires.",
      default: 90,
      validation: [wholeNumberBetween("review_retention_days", 1, 3650)],
    });

    this.key = new AppKey(this, "app_key", {
      namePrefix: namePrefix.stringValue,
      region: region.stringValue,
    });
    this.data = new DataBucket(this, "data", {
      namePrefix: namePrefix.stringValue,
      kmsKeyArn: this.key.key.arn,
      forceDestroy: bucketForceDestroy.booleanValue,
      key: [this.key.key, this.key.keyPolicy],
      noncurrentVersionRetentionDays: noncurrentVersionDays.numberValue,
      reviewRetentionDays: reviewRetentionDays.numberValue,
    });
    this.store = {
      bucketName: this.data.bucket.bucket,
      bucketArn: this.data.bucket.arn,
      keyArn: this.key.key.arn,
      partition: this.key.partition,
      accountId: this.key.accountId,
    };

    const outputs: Record<(typeof DATA_OUTPUTS)[number], { value: string; description: string }> = {
      s3_bucket_name: {
        value: this.data.bucket.bucket,
        description: "Bucket to upload datasets to, under raw_data/.",
      },
      s3_bucket_arn: { value: this.data.bucket.arn, description: "ARN of the data bucket." },
      kms_key_arn: {
        value: this.key.key.arn,
        description: "ARN of the KMS key that encrypts the app's data and logs.",
      },
    };
    this.declareOutputs(outputs);
  }
}

export { DATA_OUTPUTS };
