import { ApiGatewayAccount } from "@cdktf/provider-aws/lib/api-gateway-account";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { Fn, type IResolvable, Op, TerraformCount } from "cdktf";
import { Construct } from "constructs";
import { hcl } from "./terraform-expression";

export interface ApiGatewayAccountLoggingProps {
  readonly namePrefix: string;
  readonly partition: string;
  readonly accountId: string;
  /** Whether this app sets the Region's account-wide API Gateway CloudWatch role at all. */
  readonly enabled: boolean | IResolvable;
}

/**
 * API Gateway writes access logs with one role per account and Region, shared by every API there. It lives in
 * the long-lived network stack, not with the API: destroying `inference` to stop the endpoint's charges must
 * not delete a role the account setting still points at (every other API in the Region would lose its logs).
 * On destroy the account setting is reset instead of forgotten (`reset_on_delete`).
 */
export class ApiGatewayAccountLogging extends Construct {
  constructor(scope: Construct, id: string, props: ApiGatewayAccountLoggingProps) {
    super(scope, id);
    const count = TerraformCount.of(Fn.conditional(Op.eq(props.enabled, true), 1, 0));
    const assume = new DataAwsIamPolicyDocument(this, "assume_role", {
      statement: [
        {
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["apigateway.amazonaws.com"] }],
          // Confused-deputy protection ("Cross-service confused deputy prevention", IAM User Guide); API
          // Gateway's account-level role assumption carries the source account, not a source ARN.
          condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [props.accountId] }],
        },
      ],
    });
    const role = new IamRole(this, "role", {
      count,
      name: `${props.namePrefix}-apigateway-logs`,
      assumeRolePolicy: assume.json,
    });
    const attachment = new IamRolePolicyAttachment(this, "role_policy", {
      count,
      role: hcl(`${role.terraformResourceType}.${role.friendlyUniqueId}[0].name`),
      policyArn: `arn:${props.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs`,
    });
    new ApiGatewayAccount(this, "account", {
      count,
      cloudwatchRoleArn: hcl(`${role.terraformResourceType}.${role.friendlyUniqueId}[0].arn`),
      resetOnDelete: true,
      // API Gateway checks the role's permissions when the setting is made.
      dependsOn: [attachment],
    });
  }
}
