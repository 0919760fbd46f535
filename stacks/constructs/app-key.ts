import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { KmsKeyPolicy } from "@cdktf/provider-aws/lib/kms-key-policy";
import { Construct } from "constructs";
import { alarmNamePrefix } from "../../contract/alarms";
import { keyArnParts } from "./data-store";

export interface AppKeyProps {
  readonly namePrefix: string;
  readonly region: string;
}

/**
 * The one customer-managed key for the app's data: bucket objects, the work file system, the topic,
 * Comprehend's training volumes, model and output, and the log groups. Its policy is AWS's default (the
 * account administers the key and IAM policies grant its use, which keeps every grant visible in the roles)
 * plus the statements CloudWatch Logs and the app's alarms need, since a service principal cannot be granted by IAM.
 */
export class AppKey extends Construct {
  readonly key: KmsKey;
  readonly keyPolicy: KmsKeyPolicy;
  /** The account id, read from the key's ARN so that planning needs no STS call. */
  readonly accountId: string;
  readonly partition: string;

  constructor(scope: Construct, id: string, props: AppKeyProps) {
    super(scope, id);
    this.key = new KmsKey(this, "key", {
      description: `${props.namePrefix}: data of the Comprehend IT service request classifier`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
    });
    new KmsAlias(this, "alias", { name: `alias/${props.namePrefix}-data`, targetKeyId: this.key.keyId });
    const { partition, accountId } = keyArnParts(this.key.arn);
    this.partition = partition;
    this.accountId = accountId;

    const policy = new DataAwsIamPolicyDocument(this, "policy", {
      statement: [
        {
          // The default key policy: IAM policies in this account decide who uses the key.
          sid: "EnableIamPolicies",
          principals: [{ type: "AWS", identifiers: [`arn:${partition}:iam::${accountId}:root`] }],
          actions: ["kms:*"],
          resources: ["*"],
        },
        {
          // "Encrypt log data in CloudWatch Logs using AWS Key Management Service" (CloudWatch Logs User Guide):
          // the Regional logs service principal, limited by the encryption context to this account's log groups.
          sid: "CloudWatchLogsOfThisAccount",
          principals: [{ type: "Service", identifiers: [`logs.${props.region}.amazonaws.com`] }],
          actions: [
            "kms:Encrypt*",
            "kms:Decrypt*",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
            "kms:Describe*",
          ],
          resources: ["*"],
          condition: [
            {
              test: "ArnLike",
              variable: "kms:EncryptionContext:aws:logs:arn",
              values: [`arn:${partition}:logs:${props.region}:${accountId}:log-group:*`],
            },
          ],
        },
        {
          // "Enable compatibility between event sources from AWS services and encrypted topics" (Amazon SNS
          // Developer Guide): CloudWatch encrypts an alarm's message for the app's topic with this key. Only
          // this account's alarms, and only the app's (contract/alarms.ts).
          sid: "CloudWatchAlarmsOfThisApp",
          principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
          actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
          resources: ["*"],
          condition: [
            { test: "StringEquals", variable: "aws:SourceAccount", values: [accountId] },
            {
              test: "ArnLike",
              variable: "aws:SourceArn",
              values: [
                `arn:${partition}:cloudwatch:${props.region}:${accountId}:alarm:${alarmNamePrefix(props.namePrefix)}*`,
              ],
            },
          ],
        },
      ],
    });
    this.keyPolicy = new KmsKeyPolicy(this, "key_policy", { keyId: this.key.keyId, policy: policy.json });
  }
}
