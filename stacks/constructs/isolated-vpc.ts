import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { DefaultRouteTable } from "@cdktf/provider-aws/lib/default-route-table";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { RouteTable } from "@cdktf/provider-aws/lib/route-table";
import { RouteTableAssociation } from "@cdktf/provider-aws/lib/route-table-association";
import { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { Vpc } from "@cdktf/provider-aws/lib/vpc";
import { Fn } from "cdktf";
import { Construct } from "constructs";

export interface IsolatedVpcProps {
  readonly namePrefix: string;
  readonly cidrBlock: string;
  /** Exactly two Availability Zone names (tokens allowed). */
  readonly availabilityZones: readonly [string, string];
  readonly flowLogRetentionDays: number;
  /** The app key (data stack): flow logs are encrypted with it. */
  readonly logKmsKeyArn: string;
  /** For the flow-log role's confused-deputy conditions. */
  readonly accountId: string;
  readonly partition: string;
  readonly region: string;
}

/**
 * A VPC that cannot reach the internet: private subnets only, no internet or NAT gateway, route tables with
 * nothing but the local route (gateway endpoints add S3), a default security group with no rules, and flow
 * logs of all traffic.
 */
export class IsolatedVpc extends Construct {
  readonly vpc: Vpc;
  readonly privateSubnets: Subnet[];
  readonly routeTables: RouteTable[];
  readonly flowLogGroup: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: IsolatedVpcProps) {
    super(scope, id);

    this.vpc = new Vpc(this, "vpc", {
      cidrBlock: props.cidrBlock,
      enableDnsSupport: true,
      // Interface endpoints with private DNS need DNS host names on.
      enableDnsHostnames: true,
      tags: { Name: `${props.namePrefix}-vpc` },
    });

    // Anything launched without an explicit security group gets no traffic at all.
    new DefaultSecurityGroup(this, "default_security_group", {
      vpcId: this.vpc.id,
      ingress: [],
      egress: [],
      tags: { Name: `${props.namePrefix}-default-deny` },
    });

    new DefaultRouteTable(this, "main_route_table", {
      defaultRouteTableId: this.vpc.defaultRouteTableId,
      route: [],
      tags: { Name: `${props.namePrefix}-main-local-only` },
    });

    this.privateSubnets = [];
    this.routeTables = [];
    props.availabilityZones.forEach((availabilityZone, index) => {
      const subnet = new Subnet(this, `private_subnet_${index}`, {
        vpcId: this.vpc.id,
        availabilityZone,
        cidrBlock: Fn.cidrsubnet(props.cidrBlock, 1, index),
        mapPublicIpOnLaunch: false,
        tags: { Name: `${props.namePrefix}-private-${index}`, tier: "private" },
      });
      const routeTable = new RouteTable(this, `private_route_table_${index}`, {
        vpcId: this.vpc.id,
        tags: { Name: `${props.namePrefix}-private-${index}` },
      });
      new RouteTableAssociation(this, `private_route_table_association_${index}`, {
        subnetId: subnet.id,
        routeTableId: routeTable.id,
      });
      this.privateSubnets.push(subnet);
      this.routeTables.push(routeTable);
    });

    this.flowLogGroup = new CloudwatchLogGroup(this, "flow_log_group", {
      name: `/vpc/${props.namePrefix}/flow-logs`,
      retentionInDays: props.flowLogRetentionDays,
      kmsKeyId: props.logKmsKeyArn,
    });

    const assumeByFlowLogs = new DataAwsIamPolicyDocument(this, "flow_log_assume_role", {
      statement: [
        {
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["vpc-flow-logs.amazonaws.com"] }],
          // "Cross-service confused deputy prevention" (Amazon VPC User Guide, IAM role for publishing flow
          // logs to CloudWatch Logs): the service sends both keys when it assumes the role.
          condition: [
            { test: "StringEquals", variable: "aws:SourceAccount", values: [props.accountId] },
            {
              test: "ArnLike",
              variable: "aws:SourceArn",
              values: [`arn:${props.partition}:ec2:${props.region}:${props.accountId}:vpc-flow-log/*`],
            },
          ],
        },
      ],
    });
    const flowLogRole = new IamRole(this, "flow_log_role", {
      name: `${props.namePrefix}-vpc-flow-logs`,
      assumeRolePolicy: assumeByFlowLogs.json,
    });
    const writeFlowLogs = new DataAwsIamPolicyDocument(this, "flow_log_write", {
      statement: [
        {
          actions: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
          resources: [`${this.flowLogGroup.arn}:*`],
        },
      ],
    });
    new IamRolePolicy(this, "flow_log_role_policy", {
      role: flowLogRole.id,
      name: "write-flow-logs",
      policy: writeFlowLogs.json,
    });

    new FlowLog(this, "flow_log", {
      vpcId: this.vpc.id,
      trafficType: "ALL",
      logDestinationType: "cloud-watch-logs",
      logDestination: this.flowLogGroup.arn,
      iamRoleArn: flowLogRole.arn,
      maxAggregationInterval: 60,
    });
  }
}
