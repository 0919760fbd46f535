import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { Construct } from "constructs";

export interface NotificationTopicProps {
  readonly namePrefix: string;
  readonly kmsKeyArn: string;
  readonly notificationEmail: string;
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
      name: `${props.namePrefix}-pipeline`,
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
