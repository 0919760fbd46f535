import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { Construct } from "constructs";

export interface ComprehendDataAccessRoleProps {
  readonly namePrefix: string;
  readonly accountId: string;
  readonly bucketArn: string;
  /** The Comprehend resources whose work may use the role (this app's classifiers, or its batch jobs). */
  readonly classifierArns: string;
  /** Role name suffix and policy name: one role per kind of job, each limited to its own prefixes. */
  readonly purpose?: "training" | "batch";
  readonly inputPrefix: string;
  readonly outputPrefix: string;
  readonly kmsKeyArn: string;
}

/**
 * The role Comprehend assumes while training: read the training data, write the model output, use the app
 * key, and place its network interfaces in the isolated VPC. Only Comprehend in this account can assume it.
 */
export class ComprehendDataAccessRole extends Construct {
  readonly role: IamRole;

  constructor(scope: Construct, id: string, props: ComprehendDataAccessRoleProps) {
    super(scope, id);
    const assume = new DataAwsIamPolicyDocument(this, "assume_role", {
      statement: [
        {
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["comprehend.amazonaws.com"] }],
          // Without it, Comprehend acting for another account could be pointed at this role.
          condition: [
            { test: "StringEquals", variable: "aws:SourceAccount", values: [props.accountId] },
            { test: "ArnLike", variable: "aws:SourceArn", values: [props.classifierArns] },
          ],
        },
      ],
    });
    this.role = new IamRole(this, "role", {
      name: `${props.namePrefix}-comprehend-${props.purpose === "batch" ? "batch" : "data"}-access`,
      assumeRolePolicy: assume.json,
    });
    const policy = new DataAwsIamPolicyDocument(this, "policy", {
      statement: [
        {
          sid: "ReadTrainingData",
          actions: ["s3:GetObject"],
          resources: [`${props.bucketArn}/${props.inputPrefix}*`],
        },
        {
          sid: "ListTrainingData",
          actions: ["s3:ListBucket"],
          resources: [props.bucketArn],
          condition: [
            {
              test: "StringLike",
              variable: "s3:prefix",
              values: [`${props.inputPrefix}*`, `${props.outputPrefix}*`],
            },
          ],
        },
        {
          sid: "WriteModelOutput",
          actions: ["s3:PutObject"],
          resources: [`${props.bucketArn}/${props.outputPrefix}*`],
        },
        {
          sid: "UseDataKey",
          actions: ["kms:Decrypt", "kms:GenerateDataKey", "kms:CreateGrant", "kms:DescribeKey"],
          resources: [props.kmsKeyArn],
        },
        {
          // Training in a VPC: Comprehend creates and removes its interfaces in the private subnets. The EC2
          // Describe* actions have no resource-level permissions.
          sid: "PlaceTrainingInVpc",
          actions: [
            "ec2:CreateNetworkInterface",
            "ec2:CreateNetworkInterfacePermission",
            "ec2:DeleteNetworkInterface",
            "ec2:DeleteNetworkInterfacePermission",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeVpcs",
            "ec2:DescribeDhcpOptions",
            "ec2:DescribeSubnets",
            "ec2:DescribeSecurityGroups",
          ],
          resources: ["*"],
        },
      ],
    });
    new IamRolePolicy(this, "policy_attachment", {
      role: this.role.id,
      name: `${props.purpose ?? "training"}-data-access`,
      policy: policy.json,
    });
  }
}
