import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { Construct } from "constructs";
import { alarmNamePrefix, notificationTopicName } from "../../contract/alarms";

export interface NotificationTopicProps {
  readonly namePrefix: string;
  readonly kmsKeyArn: string;
  readonly notificationEmail: string;
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
}

/**
 * The original sample's SNSStack: the pipeline's event bus and the operator's inbox. Functions subscribe
 * with filter policies on `event_type`; the operator's email subscription receives every event (it must be
 * confirmed from the email AWS sends).
 */
export class NotificationTopic extends Construct {
  readonly topic: SnsTopic;
  readonly emailSubscription: SnsTopicSubscription;

  constructor(scope: Construct, id: string, props: NotificationTopicProps) {
    super(scope, id);
    this.topic = new SnsTopic(this, "topic", {
      name: notificationTopicName(props.namePrefix),
      displayName: "Comprehend classifier pipeline",
      kmsMasterKeyId: props.kmsKeyArn,
    });
    const tlsOnly = new DataAwsIamPolicyDocument(this, "tls_only", {
      statement: [
        {
          sid: "DenyInsecureTransport",
          effect: "Deny",
          principals: [{ type: "*", identifiers: ["*"] }],
          actions: ["sns:Publish"],
          resources: [this.topic.arn],
          condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
        },
        {
          // This policy replaces the topic's default one, so the alarms of both stacks (contract/alarms.ts) are
          // let in by name, and only this account's ("Amazon SNS topic policy for CloudWatch alarms";
          // aws:SourceArn and aws:SourceAccount against the confused deputy, Amazon SNS Developer Guide).
          sid: "OperatorAlarms",
          effect: "Allow",
          principals: [{ type: "Service", identifiers: ["cloudwatch.amazonaws.com"] }],
          actions: ["sns:Publish"],
          resources: [this.topic.arn],
          condition: [
            {
              test: "ArnLike",
              variable: "aws:SourceArn",
              values: [
                `arn:${props.partition}:cloudwatch:${props.region}:${props.accountId}:alarm:${alarmNamePrefix(props.namePrefix)}*`,
              ],
            },
            { test: "StringEquals", variable: "aws:SourceAccount", values: [props.accountId] },
          ],
        },
      ],
    });
    new SnsTopicPolicy(this, "policy", { arn: this.topic.arn, policy: tlsOnly.json });
    this.emailSubscription = new SnsTopicSubscription(this, "email", {
      topicArn: this.topic.arn,
      protocol: "email",
      endpoint: props.notificationEmail,
    });
  }
}
