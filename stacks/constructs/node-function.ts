import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import {
  DataAwsIamPolicyDocument,
  type DataAwsIamPolicyDocumentStatement,
} from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { LambdaFunctionEventInvokeConfig } from "@cdktf/provider-aws/lib/lambda-function-event-invoke-config";
import { AssetType, TerraformAsset } from "cdktf";
import { Construct } from "constructs";

/** Where `npm run build:functions` leaves one directory per function (see scripts/build-functions.ts). */
export const FUNCTION_BUNDLES_DIR = resolve(__dirname, "..", "..", "dist", "functions");

export interface FunctionNetwork {
  readonly subnetIds: string[];
  readonly securityGroupIds: string[];
}

export interface FunctionFileSystem {
  readonly accessPointArn: string;
  readonly fileSystemArn: string;
  /** Must start with /mnt/. */
  readonly localMountPath: string;
}

export interface NodeFunctionProps {
  readonly functionName: string;
  /** Directory name under dist/functions, i.e. the folder under functions/. */
  readonly bundle: string;
  readonly description: string;
  readonly network: FunctionNetwork;
  readonly logRetentionDays: number;
  /** The app key: the function's logs are encrypted with it (the key policy lets CloudWatch Logs use it). */
  readonly logKmsKeyArn: string;
  /** What the function itself may do; logging, VPC networking and the failure destination are added here. */
  readonly statements: DataAwsIamPolicyDocumentStatement[];
  readonly environment?: Record<string, string>;
  readonly memorySize?: number;
  readonly timeoutSeconds?: number;
  readonly fileSystem?: FunctionFileSystem;
  /** Resources the function's mount needs to exist first (EFS mount targets). */
  readonly dependsOn?: import("cdktf").ITerraformDependable[];
  /**
   * SNS topic that receives asynchronous invocations which still fail after Lambda's retries, so a failure
   * reaches a person and not only the logs.
   */
  readonly onFailureTopic?: { readonly arn: string; readonly kmsKeyArn: string };
  readonly maximumRetryAttempts?: number;
}

/**
 * A Node.js 22 Lambda function with the project's defaults applied once: a bundled asset, its own log group
 * with retention, JSON logs, attachment to the isolated VPC, and a role that grants only what it is given.
 */
export class NodeFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: IamRole;
  readonly logGroup: CloudwatchLogGroup;
  readonly timeoutSeconds: number;
  /** Invoked asynchronously, with failures sent to a topic: its dropped events are worth an alarm. */
  readonly invokedAsynchronously: boolean;

  constructor(scope: Construct, id: string, props: NodeFunctionProps) {
    super(scope, id);
    this.timeoutSeconds = props.timeoutSeconds ?? 30;
    this.invokedAsynchronously = props.onFailureTopic !== undefined;

    const bundleDir = join(FUNCTION_BUNDLES_DIR, props.bundle);
    if (!existsSync(join(bundleDir, "index.mjs"))) {
      throw new Error(
        `Function bundle ${bundleDir}/index.mjs is missing: run "npm run build:functions" before synth`,
      );
    }
    const asset = new TerraformAsset(this, "bundle", { path: bundleDir, type: AssetType.ARCHIVE });

    this.logGroup = new CloudwatchLogGroup(this, "log_group", {
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.logKmsKeyArn,
    });

    const assumeByLambda = new DataAwsIamPolicyDocument(this, "assume_role", {
      statement: [
        {
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["lambda.amazonaws.com"] }],
        },
      ],
    });
    this.role = new IamRole(this, "role", {
      name: `${props.functionName}-role`,
      assumeRolePolicy: assumeByLambda.json,
    });

    const statements: DataAwsIamPolicyDocumentStatement[] = [
      {
        sid: "WriteOwnLogs",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [`${this.logGroup.arn}:*`],
      },
      {
        // Lambda manages the function's network interfaces with the execution role. The Describe* actions have no
        // resource-level permissions, and the interface ids are not known before Lambda creates them.
        sid: "ManageVpcNetworkInterfaces",
        actions: [
          "ec2:CreateNetworkInterface",
          "ec2:DescribeNetworkInterfaces",
          "ec2:DescribeSubnets",
          "ec2:DeleteNetworkInterface",
          "ec2:AssignPrivateIpAddresses",
          "ec2:UnassignPrivateIpAddresses",
        ],
        resources: ["*"],
      },
      ...props.statements,
    ];
    if (props.fileSystem) {
      statements.push({
        sid: "MountWorkSpace",
        actions: ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
        resources: [props.fileSystem.fileSystemArn],
        condition: [
          {
            test: "StringEquals",
            variable: "elasticfilesystem:AccessPointArn",
            values: [props.fileSystem.accessPointArn],
          },
        ],
      });
    }
    if (props.onFailureTopic) {
      statements.push(
        { sid: "ReportFailedInvocations", actions: ["sns:Publish"], resources: [props.onFailureTopic.arn] },
        {
          sid: "UseTopicKey",
          actions: ["kms:GenerateDataKey", "kms:Decrypt"],
          resources: [props.onFailureTopic.kmsKeyArn],
        },
      );
    }
    const policy = new DataAwsIamPolicyDocument(this, "policy", { statement: statements });
    const rolePolicy = new IamRolePolicy(this, "role_policy", {
      role: this.role.id,
      name: "least-privilege",
      policy: policy.json,
    });

    this.function = new LambdaFunction(this, "function", {
      functionName: props.functionName,
      description: props.description,
      role: this.role.arn,
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      handler: "index.handler",
      filename: asset.path,
      sourceCodeHash: asset.assetHash,
      memorySize: props.memorySize ?? 256,
      timeout: this.timeoutSeconds,
      environment: {
        variables: {
          NODE_OPTIONS: "--enable-source-maps",
          POWERTOOLS_SERVICE_NAME: props.bundle,
          POWERTOOLS_LOG_LEVEL: "INFO",
          ...props.environment,
        },
      },
      vpcConfig: { subnetIds: props.network.subnetIds, securityGroupIds: props.network.securityGroupIds },
      ...(props.fileSystem && {
        fileSystemConfig: {
          arn: props.fileSystem.accessPointArn,
          localMountPath: props.fileSystem.localMountPath,
        },
      }),
      loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name },
      // The role must be able to write logs and create network interfaces before the first invocation.
      dependsOn: [this.logGroup, rolePolicy, ...(props.dependsOn ?? [])],
    });

    if (props.onFailureTopic) {
      new LambdaFunctionEventInvokeConfig(this, "async_invoke_config", {
        functionName: this.function.functionName,
        maximumRetryAttempts: props.maximumRetryAttempts ?? 2,
        destinationConfig: { onFailure: { destination: props.onFailureTopic.arn } },
      });
    }
  }
}
