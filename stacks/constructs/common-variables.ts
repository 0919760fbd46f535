import { TerraformVariable } from "cdktf";
import { Construct } from "constructs";
import { OWNED_NAME_SEPARATOR } from "../../contract/arns";
import { COMPREHEND_REGIONS } from "../../contract/regions";
import { hcl } from "./terraform-expression";

/** Retention periods CloudWatch Logs accepts. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** The variables every stack declares, so one tfvars file serves all of them. */
export class CommonVariables extends Construct {
  readonly region: TerraformVariable;
  readonly namePrefix: TerraformVariable;
  readonly logRetentionDays: TerraformVariable;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    this.region = new TerraformVariable(scope, "region", {
      type: "string",
      description:
        "AWS Region to deploy into. Amazon Comprehend custom classification must be available there.",
      default: "us-east-1",
      validation: [
        {
          condition: hcl(`contains(${JSON.stringify(COMPREHEND_REGIONS)}, var.region)`),
          errorMessage: `region must be one where Amazon Comprehend custom classification is available: ${COMPREHEND_REGIONS.join(", ")}.`,
        },
      ],
    });

    this.namePrefix = new TerraformVariable(scope, "name_prefix", {
      type: "string",
      description:
        "Prefix for every resource name (lower-case letters, digits and hyphens, 3-16 characters). Comprehend classifier names are built from it, so keep it short.",
      default: "comprehend-itsr",
      validation: [
        {
          // No "--": it separates the prefix from the run id in classifier names, so that no deployment's prefix
          // can match another's classifiers (contract/arns.ts, OWNED_NAME_SEPARATOR).
          condition: hcl(
            `can(regex("^[a-z][a-z0-9-]{1,14}[a-z0-9]$", var.name_prefix)) && !strcontains(var.name_prefix, "${OWNED_NAME_SEPARATOR}")`,
          ),
          errorMessage: `name_prefix must be 3-16 characters of lower-case letters, digits and single hyphens ("${OWNED_NAME_SEPARATOR}" is reserved), starting with a letter and not ending with a hyphen.`,
        },
      ],
    });

    this.logRetentionDays = new TerraformVariable(scope, "log_retention_days", {
      type: "number",
      description: "Days to keep the CloudWatch logs of this stack's functions and flow logs.",
      default: 90,
      validation: [
        {
          condition: hcl(`contains([${LOG_RETENTION_DAYS.join(", ")}], var.log_retention_days)`),
          errorMessage:
            "log_retention_days must be a retention period CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...).",
        },
      ],
    });
  }
}
