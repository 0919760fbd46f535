import { OFFERED_ZONES_LOCAL } from "../../contract/network";
import {
  dataOf,
  onlyResource,
  policyStatements,
  referencedName,
  resourcesOf,
  type StackJson,
  synthesizeApp,
} from "./synthesized";

let network: StackJson;

beforeAll(() => {
  network = synthesizeApp().stacks.network as StackJson;
});

describe("network stack", () => {
  it("has no way to the internet: no internet, NAT or egress-only gateway and no public addresses", () => {
    for (const type of [
      "aws_internet_gateway",
      "aws_nat_gateway",
      "aws_egress_only_internet_gateway",
      "aws_eip",
    ]) {
      expect(resourcesOf(network, type)).toEqual([]);
    }
    const subnets = resourcesOf(network, "aws_subnet");
    expect(subnets).toHaveLength(2);
    for (const [, subnet] of subnets) expect(subnet.map_public_ip_on_launch).toBe(false);
  });

  it("routes nothing but local traffic and the S3 gateway endpoint", () => {
    const tables = [
      ...resourcesOf(network, "aws_route_table"),
      ...resourcesOf(network, "aws_default_route_table"),
    ];
    expect(tables.length).toBeGreaterThanOrEqual(3);
    for (const [, table] of tables) expect(table.route ?? []).toEqual([]);
    expect(resourcesOf(network, "aws_route")).toEqual([]);
  });

  it("puts each private subnet in its own Availability Zone with its own route table", () => {
    const zones = resourcesOf(network, "aws_subnet").map(([, subnet]) => subnet.availability_zone);
    expect(new Set(zones).size).toBe(2);
    expect(resourcesOf(network, "aws_route_table_association")).toHaveLength(2);
  });

  it("locks down the default security group", () => {
    const [[, defaultGroup]] = resourcesOf(network, "aws_default_security_group") as [
      [string, Record<string, unknown>],
    ];
    expect(defaultGroup.ingress).toEqual([]);
    expect(defaultGroup.egress).toEqual([]);
  });

  it("logs all traffic of the VPC", () => {
    const [[, flowLog]] = resourcesOf(network, "aws_flow_log") as [[string, Record<string, unknown>]];
    expect(flowLog.traffic_type).toBe("ALL");
    const [[, logGroup]] = resourcesOf(network, "aws_cloudwatch_log_group") as [
      [string, Record<string, unknown>],
    ];
    expect(logGroup.retention_in_days).toBe("${var.log_retention_days}");
  });

  it("reaches S3 through a gateway endpoint and Comprehend, SNS and CloudWatch through private-DNS interface endpoints", () => {
    const endpoints = resourcesOf(network, "aws_vpc_endpoint").map(([, endpoint]) => endpoint);
    const byService = Object.fromEntries(endpoints.map((e) => [String(e.service_name).split(".").pop(), e]));

    expect(Object.keys(byService).sort()).toEqual(["comprehend", "monitoring", "s3", "sns"]);
    expect(byService.s3?.vpc_endpoint_type).toBe("Gateway");
    for (const service of ["comprehend", "sns", "monitoring"]) {
      expect(byService[service]).toMatchObject({ vpc_endpoint_type: "Interface", private_dns_enabled: true });
      expect(byService[service]?.service_name).toBe(`com.amazonaws.\${var.region}.${service}`);
    }
  });

  it("allows only the flows the app has: HTTPS to endpoints and S3, NFS to EFS, never an open CIDR", () => {
    const rules = [
      ...resourcesOf(network, "aws_vpc_security_group_egress_rule"),
      ...resourcesOf(network, "aws_vpc_security_group_ingress_rule"),
    ].map(([, rule]) => rule);
    const betweenJobContainers = (rule: Record<string, unknown>) =>
      rule.ip_protocol === "-1" && rule.referenced_security_group_id === rule.security_group_id;

    expect(rules.filter((rule) => !betweenJobContainers(rule)).length).toBeGreaterThan(0);
    for (const rule of rules.filter((rule) => !betweenJobContainers(rule))) {
      expect([443, 2049]).toContain(rule.from_port);
      expect(rule.to_port).toBe(rule.from_port);
      expect(rule.ip_protocol).toBe("tcp");
      expect(rule.cidr_ipv4).toBeUndefined();
      expect(rule.cidr_ipv6).toBeUndefined();
      expect(rule.referenced_security_group_id ?? rule.prefix_list_id).toBeDefined();
    }
    expect(resourcesOf(network, "aws_security_group_rule")).toEqual([]);
    for (const [, group] of resourcesOf(network, "aws_security_group")) {
      expect(group.ingress).toBeUndefined();
      expect(group.egress).toBeUndefined();
    }
  });

  it("lets the containers of a Comprehend job reach each other, and nothing else gets all protocols", () => {
    const allProtocols = [
      ...resourcesOf(network, "aws_vpc_security_group_egress_rule").map(([, rule]) => ({
        ...rule,
        way: "egress",
      })),
      ...resourcesOf(network, "aws_vpc_security_group_ingress_rule").map(([, rule]) => ({
        ...rule,
        way: "ingress",
      })),
    ].filter((rule: Record<string, unknown>) => rule.ip_protocol === "-1") as Record<string, unknown>[];

    expect(allProtocols.map((rule) => rule.way).sort()).toEqual(["egress", "ingress"]);
    for (const rule of allProtocols) {
      expect(rule.security_group_id).toMatch(
        /aws_security_group\.service_access_comprehend_jobs_security_group_\w+\.id/,
      );
      expect(rule.referenced_security_group_id).toBe(rule.security_group_id);
    }
  });

  it("limits the S3 gateway endpoint to the data bucket and the interface endpoints to this account", () => {
    const endpoints = resourcesOf(network, "aws_vpc_endpoint").map(([, endpoint]) => endpoint);
    expect(endpoints).toHaveLength(4);
    const statementsOf = (endpoint: Record<string, unknown>) =>
      policyStatements(network)
        .filter(({ document }) => referencedName(endpoint.policy) === document)
        .map(({ statement }) => statement);

    const s3 = endpoints.find((endpoint) => endpoint.vpc_endpoint_type === "Gateway") as Record<
      string,
      unknown
    >;
    expect(statementsOf(s3)).toEqual([
      expect.objectContaining({
        actions: ["s3:*"],
        resources: [
          "${data.terraform_remote_state.data_state.outputs.s3_bucket_arn}",
          "${data.terraform_remote_state.data_state.outputs.s3_bucket_arn}/*",
        ],
      }),
    ]);
    const interfaces = endpoints.filter((endpoint) => endpoint.vpc_endpoint_type === "Interface");
    expect(interfaces).toHaveLength(3);
    for (const endpoint of interfaces) {
      const [statement, ...others] = statementsOf(endpoint);
      expect(others).toEqual([]);
      if (String(endpoint.service_name).endsWith(".monitoring")) {
        // Metric reads name no resource: this account's principals, reading metrics only.
        expect(statement?.actions).toEqual(["cloudwatch:GetMetricData", "cloudwatch:ListMetrics"]);
        expect(statement?.condition?.map((c) => c.variable)).toEqual(["aws:PrincipalAccount"]);
        continue;
      }
      expect(statement?.condition?.map((c) => c.variable)).toEqual([
        "aws:PrincipalAccount",
        "aws:ResourceAccount",
      ]);
    }
  });

  it("places the subnets in zones that offer every interface endpoint service (Comprehend, SNS, CloudWatch), or fails the plan naming them", () => {
    const lookups = dataOf(network, "aws_vpc_endpoint_service").map(([, lookup]) => lookup.service);
    expect(lookups.sort()).toEqual(["comprehend", "monitoring", "sns"]);
    const locals = (network as unknown as { locals: Record<string, string> }).locals;
    expect(locals[OFFERED_ZONES_LOCAL]).toMatch(
      /setintersection\(tolist\(data\.aws_vpc_endpoint_service\.comprehend_endpoint_service\.availability_zones\), tolist\(data\.aws_vpc_endpoint_service\.sns_endpoint_service\.availability_zones\), tolist\(data\.aws_vpc_endpoint_service\.monitoring_endpoint_service\.availability_zones\)\)/,
    );
    const vpc = onlyResource(network, "aws_vpc") as {
      lifecycle?: { precondition?: { error_message: string }[] };
    };
    expect(vpc.lifecycle?.precondition?.[0]?.error_message).toContain(
      `join(", ", local.${OFFERED_ZONES_LOCAL})`,
    );
  });

  it("encrypts flow logs with the data stack's key and lets only this account's flow logs assume the role", () => {
    expect(onlyResource(network, "aws_cloudwatch_log_group").kms_key_id).toBe(
      "${data.terraform_remote_state.data_state.outputs.kms_key_arn}",
    );
    const trust = policyStatements(network).find(({ statement }) =>
      statement.principals?.[0]?.identifiers.includes("vpc-flow-logs.amazonaws.com"),
    );
    expect(trust?.statement.condition?.map((c) => c.variable)).toEqual([
      "aws:SourceAccount",
      "aws:SourceArn",
    ]);
    expect(trust?.statement.condition?.[1]?.values[0]).toMatch(/:vpc-flow-log\/\*$/);
  });

  it("keeps API Gateway's account-wide logging role here, reset (not orphaned) on destroy, and only for this account", () => {
    const account = onlyResource(network, "aws_api_gateway_account") as Record<string, unknown>;
    expect(account.reset_on_delete).toBe(true);
    expect(account.depends_on).toEqual([expect.stringMatching(/^aws_iam_role_policy_attachment\./)]);
    expect(account.count).toBe("${(var.manage_api_gateway_account_logging_role == true) ? 1 : 0}");
    const trust = policyStatements(network).find(({ statement }) =>
      statement.principals?.[0]?.identifiers.includes("apigateway.amazonaws.com"),
    );
    expect(trust?.statement.condition?.map((c) => c.variable)).toEqual(["aws:SourceAccount"]);
  });

  it("declares every variable with a description, a type and, where a value can be wrong, a validation", () => {
    for (const [name, variable] of Object.entries(network.variable)) {
      expect(name).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(variable.description).toBeTruthy();
      expect(variable.type).toBeTruthy();
    }
    for (const name of ["region", "name_prefix", "vpc_cidr", "availability_zones", "log_retention_days"]) {
      expect(network.variable[name]?.validation?.length).toBeGreaterThan(0);
    }
  });
});
