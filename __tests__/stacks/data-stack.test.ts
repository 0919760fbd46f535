import {
  onlyResource,
  policyStatements,
  referencedName,
  resourcesOf,
  type StackJson,
  synthesizeApp,
} from "./synthesized";

let data: StackJson;

beforeAll(() => {
  data = synthesizeApp().stacks.data as StackJson;
});

const one = (type: string) => onlyResource(data, type);

describe("data stack", () => {
  it("encrypts the app's data with one rotating customer-managed key", () => {
    const key = one("aws_kms_key");
    expect(key.enable_key_rotation).toBe(true);
    expect(key.deletion_window_in_days).toBe(30);
    const [keyName] = resourcesOf(data, "aws_kms_key")[0] as [string, unknown];

    const encryption = one("aws_s3_bucket_server_side_encryption_configuration") as {
      rule: {
        apply_server_side_encryption_by_default: { sse_algorithm: string; kms_master_key_id: string };
      }[];
    };
    const byDefault = encryption.rule[0]?.apply_server_side_encryption_by_default;
    expect(byDefault?.sse_algorithm).toBe("aws:kms");
    expect(referencedName(byDefault?.kms_master_key_id)).toBe(keyName);
  });

  it("keeps the bucket private, versioned, owner-enforced and HTTPS-only, and deletable only when asked", () => {
    expect(one("aws_s3_bucket").force_destroy).toBe("${var.bucket_force_destroy}");
    expect(data.variable.bucket_force_destroy?.default).toBe(false);
    expect(one("aws_s3_bucket_versioning")).toMatchObject({
      versioning_configuration: { status: "Enabled" },
    });
    expect(one("aws_s3_bucket_public_access_block")).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(one("aws_s3_bucket_ownership_controls")).toMatchObject({
      rule: { object_ownership: "BucketOwnerEnforced" },
    });

    const denyInsecure = policyStatements(data).find(
      ({ document, statement }) =>
        referencedName(one("aws_s3_bucket_policy").policy) === document && statement.effect === "Deny",
    );
    expect(denyInsecure?.statement.condition).toEqual([
      { test: "Bool", variable: "aws:SecureTransport", values: ["false"] },
    ]);
  });

  it("lets CloudWatch Logs use the key only for this account's log groups, the app's alarms only for its topic's messages, and IAM decide the rest", () => {
    const keyPolicy = one("aws_kms_key_policy");
    const statements = policyStatements(data)
      .filter(({ document }) => referencedName(keyPolicy.policy) === document)
      .map(({ statement }) => statement);

    expect(statements).toHaveLength(3);
    expect(statements[0]).toMatchObject({
      sid: "EnableIamPolicies",
      principals: [
        { type: "AWS", identifiers: [expect.stringMatching(/^arn:\$\{.*\}:iam::\$\{.*\}:root$/)] },
      ],
    });
    expect(statements[1]).toMatchObject({
      principals: [{ type: "Service", identifiers: ["logs.${var.region}.amazonaws.com"] }],
      condition: [
        {
          test: "ArnLike",
          variable: "kms:EncryptionContext:aws:logs:arn",
          values: [expect.stringMatching(/:logs:\$\{var\.region\}:.*:log-group:\*$/)],
        },
      ],
    });
    // The SNS guide's statement for CloudWatch alarms publishing to a topic encrypted with this key.
    expect(statements[2]).toMatchObject({
      principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
      actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
    });
    expect(statements[2]?.condition).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ variable: "aws:SourceAccount" }),
        {
          test: "ArnLike",
          variable: "aws:SourceArn",
          values: [
            expect.stringMatching(/:cloudwatch:\$\{var\.region\}:.*:alarm:\$\{var\.name_prefix\}--\*$/),
          ],
        },
      ]),
    );
  });

  it("expires queued tickets after review_retention_days, their old versions a day later", () => {
    const lifecycle = one("aws_s3_bucket_lifecycle_configuration") as {
      rule: {
        id: string;
        filter: { prefix: string }[];
        expiration?: unknown;
        noncurrent_version_expiration?: unknown;
      }[];
    };
    expect(lifecycle.rule.find((r) => r.id === "expire-review-queue")).toMatchObject({
      filter: [{ prefix: "review/queue/" }],
      expiration: [{ days: "${var.review_retention_days}" }],
      noncurrent_version_expiration: [{ noncurrent_days: 1 }],
    });
  });

  it("holds only the bucket and its key, so that no other stack's teardown reaches them", () => {
    const types = Object.keys(data.resource).sort();

    expect(types).toEqual([
      "aws_kms_alias",
      "aws_kms_key",
      "aws_kms_key_policy",
      "aws_s3_bucket",
      "aws_s3_bucket_lifecycle_configuration",
      "aws_s3_bucket_ownership_controls",
      "aws_s3_bucket_policy",
      "aws_s3_bucket_public_access_block",
      "aws_s3_bucket_server_side_encryption_configuration",
      "aws_s3_bucket_versioning",
    ]);
    expect(data.data?.terraform_remote_state).toBeUndefined();
  });
});
