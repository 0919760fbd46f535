import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketLifecycleConfiguration } from "@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration";
import { S3BucketOwnershipControls } from "@cdktf/provider-aws/lib/s3-bucket-ownership-controls";
import { S3BucketPolicy } from "@cdktf/provider-aws/lib/s3-bucket-policy";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { S3BucketVersioningA } from "@cdktf/provider-aws/lib/s3-bucket-versioning";
import type { IResolvable, ITerraformDependable } from "cdktf";
import { Construct } from "constructs";
import { DATA_PREFIXES } from "../../contract/data-layout";

export interface DataBucketProps {
  readonly namePrefix: string;
  readonly kmsKeyArn: string;
  readonly forceDestroy: boolean | IResolvable;
  /**
   * The key and its policy: the bucket depends on them so that Terraform, which destroys in the reverse order of
   * dependencies, deletes the bucket before it schedules the key's deletion. A bucket that cannot be deleted
   * then leaves the key enabled and its data readable.
   */
  readonly key: readonly ITerraformDependable[];
  readonly noncurrentVersionRetentionDays: number;
  /** Days a queued ticket waits for a person before it expires. */
  readonly reviewRetentionDays: number;
}

/**
 * The original sample's S3Stack: one private bucket for uploads, training data, reports and model output.
 * Versioned (an upload overwritten by mistake is recoverable, and a version id makes each ETL run unique),
 * SSE-KMS with the app key, all public access blocked, ACLs disabled, and HTTPS-only.
 */
export class DataBucket extends Construct {
  readonly bucket: S3Bucket;
  readonly policy: S3BucketPolicy;

  constructor(scope: Construct, id: string, props: DataBucketProps) {
    super(scope, id);

    this.bucket = new S3Bucket(this, "bucket", {
      bucketPrefix: `${props.namePrefix}-data-`,
      forceDestroy: props.forceDestroy,
      dependsOn: [...props.key],
    });
    new S3BucketVersioningA(this, "versioning", {
      bucket: this.bucket.id,
      versioningConfiguration: { status: "Enabled" },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket: this.bucket.id,
      rule: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: props.kmsKeyArn },
          // One data key per bucket instead of per object keeps KMS requests and cost down for multipart uploads.
          bucketKeyEnabled: true,
        },
      ],
    });
    const publicAccessBlock = new S3BucketPublicAccessBlock(this, "public_access_block", {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, "ownership", {
      bucket: this.bucket.id,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket: this.bucket.id,
      rule: [
        {
          id: "abort-incomplete-multipart-uploads",
          status: "Enabled",
          filter: [{ prefix: "" }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
        {
          id: "expire-noncurrent-versions",
          status: "Enabled",
          filter: [{ prefix: "" }],
          noncurrentVersionExpiration: [{ noncurrentDays: props.noncurrentVersionRetentionDays }],
        },
        {
          // Ticket texts can hold personal data: unanswered ones do not stay for ever.
          id: "expire-review-queue",
          status: "Enabled",
          filter: [{ prefix: DATA_PREFIXES.reviewQueue }],
          expiration: [{ days: props.reviewRetentionDays }],
          // The bucket is versioned: an expired or answered ticket would stay as a noncurrent version for
          // noncurrent_version_retention_days; here it goes a day later.
          noncurrentVersionExpiration: [{ noncurrentDays: 1 }],
        },
      ],
    });

    const tlsOnly = new DataAwsIamPolicyDocument(this, "tls_only", {
      statement: [
        {
          sid: "DenyInsecureTransport",
          effect: "Deny",
          principals: [{ type: "*", identifiers: ["*"] }],
          actions: ["s3:*"],
          resources: [this.bucket.arn, `${this.bucket.arn}/*`],
          condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
        },
      ],
    });
    this.policy = new S3BucketPolicy(this, "policy", {
      bucket: this.bucket.id,
      policy: tlsOnly.json,
      // S3 rejects bucket policies while the public access block is still being applied.
      dependsOn: [publicAccessBlock],
    });
  }
}
