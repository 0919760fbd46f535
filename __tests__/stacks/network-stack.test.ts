import { resourcesOf, type StackJson, synthesizeApp } from "./synthesized";

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

  it("reaches S3 through a gateway endpoint and Comprehend and SNS through private-DNS interface endpoints", () => {
    const endpoints = resourcesOf(network, "aws_vpc_endpoint").map(([, endpoint]) => endpoint);
    const byService = Object.fromEntries(endpoints.map((e) => [String(e.service_name).split(".").pop(), e]));

    expect(Object.keys(byService).sort()).toEqual(["comprehend", "s3", "sns"]);
    expect(byService.s3?.vpc_endpoint_type).toBe("Gateway");
    for (const service of ["comprehend", "sns"]) {
      expect(byService[service]).toMatchObject({ vpc_endpoint_type: "Interface", private_dns_enabled: true });
      expect(byService[service]?.service_name).toBe(`com.amazonaws.\${var.region}.${service}`);
    }
  });

  it("allows only the flows the app has: HTTPS to endpoints and S3, NFS to EFS, never an open CIDR", () => {
    const rules = [
      ...resourcesOf(network, "aws_vpc_security_group_egress_rule"),
      ...resourcesOf(network, "aws_vpc_security_group_ingress_rule"),
    ].map(([, rule]) => rule);

    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
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
