import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { Fn } from "cdktf";
import { Construct } from "constructs";

export interface AppKeyProps {
  readonly namePrefix: string;
}

/**
 * The one customer-managed key for the app's data: bucket objects, the work file system, the topic, and
 * Comprehend's training volumes, model and output. No key policy is set, so AWS's default applies: the
 * account administers the key and IAM policies grant its use, which keeps every grant visible in the roles.
 */
export class AppKey extends Construct {
  readonly key: KmsKey;
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
    const arnParts = Fn.split(":", this.key.arn);
    this.partition = Fn.element(arnParts, 1);
    this.accountId = Fn.element(arnParts, 4);
  }
}
