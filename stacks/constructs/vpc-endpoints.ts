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
      "Comprehend training jobs: HTTPS to S3 through the gateway endpoint only",
    );

    this.s3Endpoint = new VpcEndpoint(this, "s3_gateway_endpoint", {
      vpcId,
      serviceName: `com.amazonaws.${props.region}.s3`,
      vpcEndpointType: "Gateway",
      routeTableIds: props.network.routeTables.map((table) => table.id),
      tags: { Name: `${props.namePrefix}-s3` },
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
    new VpcSecurityGroupEgressRule(this, "comprehend_jobs_to_s3", {
      ...https,
      securityGroupId: this.comprehendJobSecurityGroup.id,
      prefixListId: this.s3Endpoint.prefixListId,
      description: "HTTPS to S3 through the gateway endpoint",
    });
  }
}
