import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule";
import { Construct } from "constructs";
import type { IsolatedVpc } from "./isolated-vpc";

export interface PrivateServiceAccessProps {
  readonly namePrefix: string;
  readonly region: string;
  readonly network: IsolatedVpc;
  /** The only bucket code in the VPC may reach through the S3 gateway endpoint (the data stack's). */
  readonly bucketArn: string;
  /** The account whose principals and resources the interface endpoints serve. */
  readonly accountId: string;
  /** AWS services reached through interface endpoints with private DNS, e.g. "comprehend", "sns". */
  readonly interfaceServices: readonly string[];
}

/**
 * How code inside the isolated VPC reaches AWS: an S3 gateway endpoint, interface endpoints for the other
 * services, and security groups that allow only the flows the app has (functions -> endpoints and S3 on 443,
 * functions -> EFS on 2049, Comprehend training jobs -> S3 on 443). Security groups without egress rules
 * deny all egress: Terraform removes AWS's default allow-all rule.
 */
export class PrivateServiceAccess extends Construct {
  readonly s3Endpoint: VpcEndpoint;
  readonly interfaceEndpoints: Record<string, VpcEndpoint>;
  readonly functionSecurityGroup: SecurityGroup;
  readonly endpointSecurityGroup: SecurityGroup;
  readonly fileSystemSecurityGroup: SecurityGroup;
  readonly comprehendJobSecurityGroup: SecurityGroup;

  constructor(scope: Construct, id: string, props: PrivateServiceAccessProps) {
    super(scope, id);
    const vpcId = props.network.vpc.id;
    const securityGroup = (name: string, description: string) =>
      new SecurityGroup(this, `${name.replaceAll("-", "_")}_security_group`, {
        name: `${props.namePrefix}-${name}`,
        description,
        vpcId,
        tags: { Name: `${props.namePrefix}-${name}` },
      });

    this.functionSecurityGroup = securityGroup(
      "functions",
      "Lambda functions: egress to endpoints, S3 and EFS only",
    );
    this.endpointSecurityGroup = securityGroup(
      "endpoints",
      "Interface endpoints: HTTPS from the functions only",
    );
    this.fileSystemSecurityGroup = securityGroup("efs", "EFS mount targets: NFS from the functions only");
    this.comprehendJobSecurityGroup = securityGroup(
      "comprehend-jobs",
      "Comprehend training jobs: HTTPS to S3 through the gateway endpoint, and between the job's containers",
    );

    // The default endpoint policy allows any bucket in the Region: an exfiltration path out of an "isolated"
    // VPC. Only the data bucket is reachable ("Control access to VPC endpoints using endpoint policies",
    // AWS PrivateLink Guide). Lambda reads function code and layers outside the VPC, so nothing else is needed.
    const s3Policy = new DataAwsIamPolicyDocument(this, "s3_endpoint_policy", {
      statement: [
        {
          sid: "DataBucketOnly",
          principals: [{ type: "*", identifiers: ["*"] }],
          actions: ["s3:*"],
          resources: [props.bucketArn, `${props.bucketArn}/*`],
        },
      ],
    });
    this.s3Endpoint = new VpcEndpoint(this, "s3_gateway_endpoint", {
      vpcId,
      serviceName: `com.amazonaws.${props.region}.s3`,
      vpcEndpointType: "Gateway",
      routeTableIds: props.network.routeTables.map((table) => table.id),
      policy: s3Policy.json,
      tags: { Name: `${props.namePrefix}-s3` },
    });
    // Comprehend, SNS and CloudWatch through the interface endpoints: only this account's principals, on its resources.
    const thisAccountOnly = new DataAwsIamPolicyDocument(this, "interface_endpoint_policy", {
      statement: [
        {
          sid: "ThisAccountOnly",
          principals: [{ type: "*", identifiers: ["*"] }],
          actions: ["*"],
          resources: ["*"],
          condition: [
            { test: "StringEquals", variable: "aws:PrincipalAccount", values: [props.accountId] },
            { test: "StringEquals", variable: "aws:ResourceAccount", values: [props.accountId] },
          ],
        },
      ],
    });

    // CloudWatch's metric reads name no resource, so there is no resource account to compare
    // ("aws:ResourceAccount", IAM User Guide, global condition keys: present only for actions on a resource):
    // through this endpoint, only this account's principals, and only reading metrics.
    const metricReadsOnly = new DataAwsIamPolicyDocument(this, "monitoring_endpoint_policy", {
      statement: [
        {
          sid: "ThisAccountReadsMetrics",
          principals: [{ type: "*", identifiers: ["*"] }],
          actions: ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics"],
          resources: ["*"],
          condition: [{ test: "StringEquals", variable: "aws:PrincipalAccount", values: [props.accountId] }],
        },
      ],
    });

    this.interfaceEndpoints = {};
    for (const service of props.interfaceServices) {
      this.interfaceEndpoints[service] = new VpcEndpoint(this, `${service}_interface_endpoint`, {
        vpcId,
        serviceName: `com.amazonaws.${props.region}.${service}`,
        vpcEndpointType: "Interface",
        privateDnsEnabled: true,
        subnetIds: props.network.privateSubnets.map((subnet) => subnet.id),
        securityGroupIds: [this.endpointSecurityGroup.id],
        policy: service === "monitoring" ? metricReadsOnly.json : thisAccountOnly.json,
        tags: { Name: `${props.namePrefix}-${service}` },
      });
    }

    const https = { ipProtocol: "tcp", fromPort: 443, toPort: 443 } as const;
    const nfs = { ipProtocol: "tcp", fromPort: 2049, toPort: 2049 } as const;

    new VpcSecurityGroupEgressRule(this, "functions_to_endpoints", {
      ...https,
      securityGroupId: this.functionSecurityGroup.id,
      referencedSecurityGroupId: this.endpointSecurityGroup.id,
      description: "HTTPS to interface endpoints",
    });
    new VpcSecurityGroupIngressRule(this, "endpoints_from_functions", {
      ...https,
      securityGroupId: this.endpointSecurityGroup.id,
      referencedSecurityGroupId: this.functionSecurityGroup.id,
      description: "HTTPS from the functions",
    });
    new VpcSecurityGroupEgressRule(this, "functions_to_s3", {
      ...https,
      securityGroupId: this.functionSecurityGroup.id,
      prefixListId: this.s3Endpoint.prefixListId,
      description: "HTTPS to S3 through the gateway endpoint",
    });
    new VpcSecurityGroupEgressRule(this, "functions_to_efs", {
      ...nfs,
      securityGroupId: this.functionSecurityGroup.id,
      referencedSecurityGroupId: this.fileSystemSecurityGroup.id,
      description: "NFS to EFS mount targets",
    });
    new VpcSecurityGroupIngressRule(this, "efs_from_functions", {
      ...nfs,
      securityGroupId: this.fileSystemSecurityGroup.id,
      referencedSecurityGroupId: this.functionSecurityGroup.id,
      description: "NFS from the functions",
    });
    // "Protect jobs by using an Amazon VPC" (Amazon Comprehend Developer Guide): the containers of a distributed
    // training job talk to each other, so members of the jobs' security group must reach one another.
    new VpcSecurityGroupIngressRule(this, "comprehend_jobs_from_each_other", {
      ipProtocol: "-1",
      securityGroupId: this.comprehendJobSecurityGroup.id,
      referencedSecurityGroupId: this.comprehendJobSecurityGroup.id,
      description: "Between the containers of one Comprehend job",
    });
    new VpcSecurityGroupEgressRule(this, "comprehend_jobs_to_each_other", {
      ipProtocol: "-1",
      securityGroupId: this.comprehendJobSecurityGroup.id,
      referencedSecurityGroupId: this.comprehendJobSecurityGroup.id,
      description: "Between the containers of one Comprehend job",
    });
    new VpcSecurityGroupEgressRule(this, "comprehend_jobs_to_s3", {
      ...https,
      securityGroupId: this.comprehendJobSecurityGroup.id,
      prefixListId: this.s3Endpoint.prefixListId,
      description: "HTTPS to S3 through the gateway endpoint",
    });
  }
}
