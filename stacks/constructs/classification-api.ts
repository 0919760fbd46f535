import { ApiGatewayAccount } from "@cdktf/provider-aws/lib/api-gateway-account";
import { ApiGatewayDeployment } from "@cdktf/provider-aws/lib/api-gateway-deployment";
import { ApiGatewayIntegration } from "@cdktf/provider-aws/lib/api-gateway-integration";
import { ApiGatewayMethod } from "@cdktf/provider-aws/lib/api-gateway-method";
import { ApiGatewayMethodSettings } from "@cdktf/provider-aws/lib/api-gateway-method-settings";
import { ApiGatewayResource } from "@cdktf/provider-aws/lib/api-gateway-resource";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { ApiGatewayStage } from "@cdktf/provider-aws/lib/api-gateway-stage";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { Fn, Op, TerraformCount } from "cdktf";
import { Construct } from "constructs";
import { type FunctionNetwork, NodeFunction } from "./node-function";
import { hcl } from "./terraform-expression";

/** The original sample's path, which its clients already call. */
export const CLASSIFY_PATH = "invokecomprehendV1";
export const STAGE_NAME = "prod";

export interface ClassificationApiProps {
  readonly namePrefix: string;
  /** The app key, for the access logs and the classify function's logs. */
  readonly logKmsKeyArn: string;
  readonly partition: string;
  readonly endpointArn: string;
  readonly network: FunctionNetwork;
  readonly logRetentionDays: number;
  readonly throttlingRateLimit: number;
  readonly throttlingBurstLimit: number;
  /** API Gateway writes access logs with one account-wide role; leave it to another stack if one manages it. */
  readonly manageAccountLoggingRole: boolean;
}

/**
 * The original sample's APIGWInferenceStack: a regional REST API whose only method requires SigV4 (AWS_IAM),
 * proxying to the classify function, with a throttled, access-logged `prod` stage.
 */
export class ClassificationApi extends Construct {
  readonly classifyFunction: NodeFunction;
  readonly restApi: ApiGatewayRestApi;
  readonly stage: ApiGatewayStage;
  readonly invokeUrl: string;

  constructor(scope: Construct, id: string, props: ClassificationApiProps) {
    super(scope, id);

    this.classifyFunction = new NodeFunction(this, "classify", {
      functionName: `${props.namePrefix}-classify`,
      bundle: "classify",
      description: "Classifies a service request's text with the Comprehend endpoint",
      network: props.network,
      logRetentionDays: props.logRetentionDays,
      logKmsKeyArn: props.logKmsKeyArn,
      memorySize: 512,
      // API Gateway gives up after 29 s; leave the SDK's retries room inside that.
      timeoutSeconds: 25,
      environment: { ENDPOINT_ARN: props.endpointArn },
      statements: [
        { sid: "Classify", actions: ["comprehend:ClassifyDocument"], resources: [props.endpointArn] },
      ],
    });

    this.restApi = new ApiGatewayRestApi(this, "rest_api", {
      name: `${props.namePrefix}-classifier`,
      description: "Classifies IT service requests with the Comprehend custom classifier (SigV4 required)",
      endpointConfiguration: { types: ["REGIONAL"] },
    });
    const resource = new ApiGatewayResource(this, "classify_resource", {
      restApiId: this.restApi.id,
      parentId: this.restApi.rootResourceId,
      pathPart: CLASSIFY_PATH,
    });
    const method = new ApiGatewayMethod(this, "classify_method", {
      restApiId: this.restApi.id,
      resourceId: resource.id,
      httpMethod: "POST",
      authorization: "AWS_IAM",
    });
    const integration = new ApiGatewayIntegration(this, "classify_integration", {
      restApiId: this.restApi.id,
      resourceId: resource.id,
      httpMethod: method.httpMethod,
      type: "AWS_PROXY",
      integrationHttpMethod: "POST",
      uri: this.classifyFunction.function.invokeArn,
    });
    new LambdaPermission(this, "invoke_from_api", {
      action: "lambda:InvokeFunction",
      functionName: this.classifyFunction.function.functionName,
      principal: "apigateway.amazonaws.com",
      sourceArn: `${this.restApi.executionArn}/*/POST/${CLASSIFY_PATH}`,
    });

    const deployment = new ApiGatewayDeployment(this, "deployment", {
      restApiId: this.restApi.id,
      // A deployment is a snapshot: take a new one whenever the API's definition changes.
      triggers: {
        redeployment: Fn.sha1(
          Fn.jsonencode([
            resource.id,
            resource.pathPart,
            method.id,
            method.authorization,
            integration.id,
            integration.uri,
          ]),
        ),
      },
      lifecycle: { createBeforeDestroy: true },
      dependsOn: [method, integration],
    });

    const accessLogs = new CloudwatchLogGroup(this, "access_log_group", {
      name: `/aws/apigateway/${props.namePrefix}-classifier/access`,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.logKmsKeyArn,
    });
    const loggingRole = this.accountLoggingRole(props);

    this.stage = new ApiGatewayStage(this, "stage", {
      restApiId: this.restApi.id,
      deploymentId: deployment.id,
      stageName: STAGE_NAME,
      accessLogSettings: {
        destinationArn: accessLogs.arn,
        format: JSON.stringify({
          requestId: "$context.requestId",
          ip: "$context.identity.sourceIp",
          caller: "$context.identity.caller",
          user: "$context.identity.userArn",
          requestTime: "$context.requestTime",
          httpMethod: "$context.httpMethod",
          resourcePath: "$context.resourcePath",
          status: "$context.status",
          responseLength: "$context.responseLength",
          integrationLatency: "$context.integrationLatency",
          integrationError: "$context.integrationErrorMessage",
        }),
      },
      dependsOn: loggingRole,
    });
    new ApiGatewayMethodSettings(this, "stage_settings", {
      restApiId: this.restApi.id,
      stageName: this.stage.stageName,
      methodPath: "*/*",
      settings: {
        throttlingRateLimit: props.throttlingRateLimit,
        throttlingBurstLimit: props.throttlingBurstLimit,
        metricsEnabled: true,
        // Execution logs would record request bodies: service requests can hold personal data.
        loggingLevel: "OFF",
        dataTraceEnabled: false,
      },
    });
    this.invokeUrl = `${this.stage.invokeUrl}/${CLASSIFY_PATH}`;
  }

  private accountLoggingRole(props: ClassificationApiProps): ApiGatewayAccount[] {
    const count = TerraformCount.of(Fn.conditional(Op.eq(props.manageAccountLoggingRole, true), 1, 0));
    const assume = new DataAwsIamPolicyDocument(this, "logging_assume_role", {
      statement: [
        {
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["apigateway.amazonaws.com"] }],
        },
      ],
    });
    const role = new IamRole(this, "logging_role", {
      count,
      name: `${props.namePrefix}-apigateway-logs`,
      assumeRolePolicy: assume.json,
    });
    new IamRolePolicyAttachment(this, "logging_role_policy", {
      count,
      role: hcl(`${role.terraformResourceType}.${role.friendlyUniqueId}[0].name`),
      policyArn: `arn:${props.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs`,
    });
    return [
      new ApiGatewayAccount(this, "account", {
        count,
        cloudwatchRoleArn: hcl(`${role.terraformResourceType}.${role.friendlyUniqueId}[0].arn`),
      }),
    ];
  }
}
