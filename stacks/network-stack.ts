import { DataAwsVpcEndpointService } from "@cdktf/provider-aws/lib/data-aws-vpc-endpoint-service";
import { Fn, Op, TerraformLocal, TerraformVariable, Token } from "cdktf";
import type { Construct } from "constructs";
import { OFFERED_ZONES_LOCAL } from "../contract/network";
import { AppStack, type AppStackProps } from "./app-stack";
import { ApiGatewayAccountLogging } from "./constructs/api-gateway-account-logging";
import { keyArnParts } from "./constructs/data-store";
import { IsolatedVpc } from "./constructs/isolated-vpc";
import { hcl } from "./constructs/terraform-expression";
import { PrivateServiceAccess } from "./constructs/vpc-endpoints";
import { DATA_OUTPUTS, NETWORK_OUTPUTS } from "./outputs";

/** Services the functions call from inside the VPC; S3 goes through the gateway endpoint instead. */
// monitoring: the drift check reads the classify function's metrics (CloudWatch GetMetricData, ListMetrics).
export const INTERFACE_ENDPOINT_SERVICES = ["comprehend", "sns", "monitoring"] as const;

/** The original sample's VPCStack: an isolated network that the training and inference stacks attach to. */
export class NetworkStack extends AppStack {
  readonly network: IsolatedVpc;
  readonly serviceAccess: PrivateServiceAccess;

  constructor(scope: Construct, props: AppStackProps) {
    super(scope, "network", props);
    const { region, namePrefix, logRetentionDays } = this.variables;

    const vpcCidr = new TerraformVariable(this, "vpc_cidr", {
      type: "string",
      description: "IPv4 CIDR block of the VPC; split into two private subnets of half its size each.",
      default: "10.0.2.0/24",
      validation: [
        {
          condition: hcl('can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) <= 26'),
          errorMessage: "vpc_cidr must be an IPv4 CIDR block of /26 or larger, such as 10.0.2.0/24.",
        },
      ],
    });
    const availabilityZones = new TerraformVariable(this, "availability_zones", {
      type: "list(string)",
      description:
        "Two Availability Zones for the private subnets. Empty means the first two zones (by name) in which both the Comprehend and the SNS interface endpoint services are offered.",
      default: [],
      validation: [
        {
          condition: hcl("length(var.availability_zones) == 0 || length(var.availability_zones) == 2"),
          errorMessage:
            "availability_zones must list exactly two zones, or be empty to use two zones that offer the Comprehend, SNS and CloudWatch endpoints.",
        },
      ],
    });
    const manageLoggingRole = new TerraformVariable(this, "manage_api_gateway_account_logging_role", {
      type: "bool",
      description:
        "Set the Region's account-wide API Gateway CloudWatch Logs role (needed for the API's access logs). Set false if your account already has one; it then stays as it is.",
      default: true,
    });
    const data = this.upstreamOutputs("data", DATA_OUTPUTS);
    const { partition, accountId } = keyArnParts(data.getString("kms_key_arn"));

    // "Interface endpoints are not available in all Availability Zones" (Amazon Comprehend Developer Guide,
    // VPC endpoints): read which zones offer every service. The offline plan review overrides these lookups
    // (EC2 API calls) and the zone list with <region>a and <region>b.
    const offeredBy = INTERFACE_ENDPOINT_SERVICES.map((service) => {
      const lookup = new DataAwsVpcEndpointService(this, `${service}_endpoint_service`, {
        service,
        serviceType: "Interface",
      });
      lookup.overrideLogicalId(`${service}_endpoint_service`);
      return lookup.availabilityZones;
    });
    const offeredZones = new TerraformLocal(
      this,
      OFFERED_ZONES_LOCAL,
      Fn.sort(Fn.setintersection(offeredBy[0] as string[], offeredBy.slice(1))),
    );
    const zones = new TerraformLocal(
      this,
      "zones",
      Fn.conditional(
        Op.eq(Fn.lengthOf(availabilityZones.listValue), 2),
        availabilityZones.listValue,
        Fn.slice(offeredZones.asList, 0, 2),
      ),
    );

    this.network = new IsolatedVpc(this, "isolated_vpc", {
      namePrefix: namePrefix.stringValue,
      cidrBlock: vpcCidr.stringValue,
      availabilityZones: [Fn.element(zones.asList, 0), Fn.element(zones.asList, 1)],
      flowLogRetentionDays: logRetentionDays.numberValue,
      logKmsKeyArn: data.getString("kms_key_arn"),
      accountId,
      partition,
      region: region.stringValue,
    });
    // Fails the plan, naming the zones that would work, instead of failing the endpoint creation mid-apply.
    this.network.vpc.addOverride("lifecycle.precondition", [
      {
        condition: `\${length(local.${OFFERED_ZONES_LOCAL}) >= 2 && alltrue([for zone in local.zones : contains(local.${OFFERED_ZONES_LOCAL}, zone)])}`,
        error_message: `\${"availability_zones must be two of the zones that offer the Comprehend, SNS and CloudWatch (monitoring) interface endpoints in \${var.region}: \${join(", ", local.${OFFERED_ZONES_LOCAL})}"}`,
      },
    ]);

    new ApiGatewayAccountLogging(this, "api_gateway_account_logging", {
      namePrefix: namePrefix.stringValue,
      partition,
      accountId,
      enabled: manageLoggingRole.booleanValue,
    });

    this.serviceAccess = new PrivateServiceAccess(this, "service_access", {
      namePrefix: namePrefix.stringValue,
      region: region.stringValue,
      network: this.network,
      interfaceServices: INTERFACE_ENDPOINT_SERVICES,
      bucketArn: data.getString("s3_bucket_arn"),
      accountId,
    });

    const outputs: Record<(typeof NETWORK_OUTPUTS)[number], { value: unknown; description: string }> = {
      vpc_id: { value: this.network.vpc.id, description: "ID of the isolated VPC." },
      vpc_cidr_block: { value: this.network.vpc.cidrBlock, description: "CIDR block of the isolated VPC." },
      private_subnet_ids: {
        // A token rather than an array: cdktf 0.21 checks plain arrays with the deprecated util.isArray, which
        // printed a DeprecationWarning (as [ERROR] under cdktf's CLI) on every synth.
        value: Token.asAny(this.network.privateSubnets.map((subnet) => subnet.id)),
        description: "IDs of the private subnets (one per Availability Zone).",
      },
      functions_security_group_id: {
        value: this.serviceAccess.functionSecurityGroup.id,
        description: "Security group of the Lambda functions.",
      },
      efs_security_group_id: {
        value: this.serviceAccess.fileSystemSecurityGroup.id,
        description: "Security group for EFS mount targets.",
      },
      comprehend_jobs_security_group_id: {
        value: this.serviceAccess.comprehendJobSecurityGroup.id,
        description: "Security group for Comprehend training jobs run in the VPC.",
      },
    };
    this.declareOutputs(outputs);
  }
}

export { NETWORK_OUTPUTS };
