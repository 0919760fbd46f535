import { ApiGatewayDeployment } from "@cdktf/provider-aws/lib/api-gateway-deployment";
import { ApiGatewayGatewayResponse } from "@cdktf/provider-aws/lib/api-gateway-gateway-response";
import { ApiGatewayIntegration } from "@cdktf/provider-aws/lib/api-gateway-integration";
import { ApiGatewayMethod } from "@cdktf/provider-aws/lib/api-gateway-method";
import { ApiGatewayMethodSettings } from "@cdktf/provider-aws/lib/api-gateway-method-settings";
import { ApiGatewayModel } from "@cdktf/provider-aws/lib/api-gateway-model";
import { ApiGatewayRequestValidator } from "@cdktf/provider-aws/lib/api-gateway-request-validator";
import { ApiGatewayResource } from "@cdktf/provider-aws/lib/api-gateway-resource";
import { ApiGatewayRestApi } from "@cdktf/provider-aws/lib/api-gateway-rest-api";
import { ApiGatewayRestApiPolicy } from "@cdktf/provider-aws/lib/api-gateway-rest-api-policy";
import { ApiGatewayStage } from "@cdktf/provider-aws/lib/api-gateway-stage";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission";
import { Fn, type IResolvable, Op } from "cdktf";
import { Construct } from "constructs";
import { DATA_PREFIXES } from "../../contract/data-layout";
import { CLASSIFY_ENVIRONMENT, CORRECTIONS_ENVIRONMENT, environmentFor } from "../../contract/environment";
import { functionName } from "../../contract/functions";
import { CLASSIFY_SERVICE, metricsNamespace } from "../../contract/metrics";
import { MAX_LABEL_CHARACTERS } from "../../contract/review";
import { type DataStore, objectArns, retrainTriggerStatements } from "./data-store";
import { type FunctionNetwork, NodeFunction } from "./node-function";

/** The original sample's path, which its clients already call. */
export const CLASSIFY_PATH = "invokecomprehendV1";
export const STAGE_NAME = "prod";
/** Where a ticket system posts the label an agent gave (AWS_IAM, like the classify path). */
export const CORRECTIONS_PATH = "corrections";

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
  readonly region: string;
  readonly accountId: string;
  /** Principals (role or user ARNs) allowed to call the API besides this account's; empty: the account's. */
  readonly allowedPrincipalArns: string[];
  /** VPC endpoint ids that calls must come through; empty: any network path. */
  readonly allowedVpcEndpointIds: string[];
  /** ClassifyDocument reads at most this many bytes; the API refuses bodies far beyond it. */
  readonly maxTextCharacters: number;
  /** endpoint_active_hours as JSON ("" for always on): outside them the function answers 503 by itself. */
  readonly activeHoursJson: string;
  /** The data bucket: the review queue and the corrections live in it. */
  readonly store: DataStore;
  /** The served classifier, whose training labels tell a correction's label is new. */
  readonly classifierArn: string;
  readonly review: {
    /** Below this top score an answer is counted as low-confidence and queued. */
    readonly threshold: number;
    readonly queueEnabled: boolean | IResolvable;
    /** retrain_after_corrections: 0 never asks for retraining on its own. */
    readonly retrainAfterCorrections: number;
  };
}

/**
 * The original sample's APIGWInferenceStack: a regional REST API whose only method requires SigV4 (AWS_IAM),
 * proxying to the classify function, with a throttled, access-logged `prod` stage.
 */
export class ClassificationApi extends Construct {
  readonly classifyFunction: NodeFunction;
  readonly correctionsFunction: NodeFunction;
  readonly restApi: ApiGatewayRestApi;
  readonly stage: ApiGatewayStage;
  readonly invokeUrl: string;
  readonly accessLogGroup: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: ClassificationApiProps) {
    super(scope, id);

    this.classifyFunction = new NodeFunction(this, "classify", {
      functionName: functionName(props.namePrefix, "classify"),
      bundle: CLASSIFY_SERVICE,
      description: "Classifies a service request's text with the Comprehend endpoint",
      network: props.network,
      logRetentionDays: props.logRetentionDays,
      logKmsKeyArn: props.logKmsKeyArn,
      memorySize: 512,
      // API Gateway gives up after 29 s; leave the SDK's retries room inside that.
      timeoutSeconds: 25,
      environment: environmentFor(CLASSIFY_ENVIRONMENT, {
        ENDPOINT_ARN: props.endpointArn,
        // Read by Powertools' Metrics itself: the answers' embedded metrics land in the app's own namespace.
        POWERTOOLS_METRICS_NAMESPACE: metricsNamespace(props.namePrefix),
        ACTIVE_HOURS: props.activeHoursJson,
        REVIEW_THRESHOLD: Fn.tostring(props.review.threshold),
        REVIEW_QUEUE_BUCKET: Fn.conditional(
          Op.eq(props.review.queueEnabled, true),
          props.store.bucketName,
          "",
        ),
        // The served model's per-label thresholds: reports/<run>/routing.json, once its scoring has finished.
        DATA_BUCKET: props.store.bucketName,
        REPORTS_PREFIX: DATA_PREFIXES.reports,
        NAME_PREFIX: props.namePrefix,
        CLASSIFIER_ARN: props.classifierArn,
      }),
      statements: [
        { sid: "Classify", actions: ["comprehend:ClassifyDocument"], resources: [props.endpointArn] },
        {
          sid: "QueueForReview",
          actions: ["s3:PutObject"],
          resources: [objectArns(props.store, DATA_PREFIXES.reviewQueue)],
        },
        {
          sid: "ReadRoutingThresholds",
          actions: ["s3:GetObject"],
          resources: [`${props.store.bucketArn}/${DATA_PREFIXES.reports}*/routing.json`],
        },
        {
          sid: "UseAppKey",
          actions: ["kms:GenerateDataKey", "kms:Decrypt"],
          resources: [props.store.keyArn],
        },
      ],
    });
    this.correctionsFunction = new NodeFunction(this, "corrections", {
      functionName: functionName(props.namePrefix, "corrections"),
      bundle: "corrections",
      description: "Stores the label a person gave a ticket, from the API's corrections route",
      network: props.network,
      logRetentionDays: props.logRetentionDays,
      logKmsKeyArn: props.logKmsKeyArn,
      timeoutSeconds: 15,
      environment: environmentFor(CORRECTIONS_ENVIRONMENT, {
        DATA_BUCKET: props.store.bucketName,
        REPORTS_PREFIX: DATA_PREFIXES.reports,
        CLASSIFIER_ARN: props.classifierArn,
        NAME_PREFIX: props.namePrefix,
        POWERTOOLS_METRICS_NAMESPACE: metricsNamespace(props.namePrefix),
        RETRAIN_AFTER_CORRECTIONS: Fn.tostring(props.review.retrainAfterCorrections),
      }),
      statements: [
        ...retrainTriggerStatements(props.store),
        {
          sid: "StoreCorrections",
          actions: ["s3:PutObject"],
          resources: [objectArns(props.store, DATA_PREFIXES.corrections)],
        },
        {
          sid: "AnswerQueuedTickets",
          actions: ["s3:GetObject", "s3:DeleteObject"],
          resources: [objectArns(props.store, DATA_PREFIXES.reviewQueue)],
        },
        {
          sid: "ReadServedModelsLabels",
          actions: ["s3:GetObject"],
          resources: [objectArns(props.store, DATA_PREFIXES.reports)],
        },
        {
          sid: "UseAppKey",
          actions: ["kms:Decrypt", "kms:GenerateDataKey"],
          resources: [props.store.keyArn],
        },
      ],
    });

    this.restApi = new ApiGatewayRestApi(this, "rest_api", {
      name: `${props.namePrefix}-classifier`,
      description: "Classifies IT service requests with the Comprehend custom classifier (SigV4 required)",
      endpointConfiguration: { types: ["REGIONAL"] },
    });
    const validator = new ApiGatewayRequestValidator(this, "body_validator", {
      restApiId: this.restApi.id,
      name: "body",
      validateRequestBody: true,
      validateRequestParameters: false,
    });
    this.restApi.addOverride("lifecycle.ignore_changes", ["policy"]);
    new ApiGatewayRestApiPolicy(this, "resource_policy", {
      restApiId: this.restApi.id,
      policy: this.resourcePolicy(props),
    });
    // Malformed or oversized bodies are refused by API Gateway before they cost a Lambda invocation.
    const classify = this.postRoute({
      name: "classify",
      path: CLASSIFY_PATH,
      fn: this.classifyFunction,
      validatorId: validator.id,
      permissionId: "invoke_from_api",
      model: {
        name: "ClassifyRequest",
        required: ["Text"],
        properties: { Text: { type: "string", minLength: 1, maxLength: props.maxTextCharacters } },
      },
    });
    // The corrections route: the same authorization and the same kind of gate on the body; the function says
    // in words what a body that passes the schema still gets wrong.
    const corrections = this.postRoute({
      name: "corrections",
      path: CORRECTIONS_PATH,
      fn: this.correctionsFunction,
      validatorId: validator.id,
      permissionId: "invoke_corrections_from_api",
      model: {
        name: "CorrectionRequest",
        required: ["Label"],
        properties: {
          Label: { type: "string", minLength: 1, maxLength: MAX_LABEL_CHARACTERS },
          Text: { type: "string", minLength: 1, maxLength: props.maxTextCharacters },
          ReviewId: { type: "string", minLength: 1, maxLength: 128 },
        },
      },
    });

    // A body the schema refuses is answered in the API's own shape, saying what is wrong
    // ($context.error.validationErrorString, "API Gateway mapping template and access logging variable
    // reference"), instead of API Gateway's bare "Invalid request body".
    const badBody = new ApiGatewayGatewayResponse(this, "bad_request_body", {
      restApiId: this.restApi.id,
      responseType: "BAD_REQUEST_BODY",
      statusCode: "400",
      responseTemplates: {
        "application/json":
          '{"statusCode": 400, "error": "The request body does not match the API: $context.error.validationErrorString"}',
      },
    });

    const deployment = new ApiGatewayDeployment(this, "deployment", {
      restApiId: this.restApi.id,
      // A deployment is a snapshot: take a new one whenever the API's definition changes.
      triggers: {
        redeployment: Fn.sha1(
          Fn.jsonencode([
            ...[classify, corrections].flatMap((route) => [
              route.resource.id,
              route.resource.pathPart,
              route.method.id,
              route.method.authorization,
              route.integration.id,
              route.integration.uri,
              route.model.schema,
            ]),
            validator.id,
            badBody.id,
            badBody.responseTemplates,
          ]),
        ),
      },
      lifecycle: { createBeforeDestroy: true },
      dependsOn: [classify.method, classify.integration, corrections.method, corrections.integration],
    });

    this.accessLogGroup = new CloudwatchLogGroup(this, "access_log_group", {
      name: `/aws/apigateway/${props.namePrefix}-classifier/access`,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.logKmsKeyArn,
    });

    this.stage = new ApiGatewayStage(this, "stage", {
      restApiId: this.restApi.id,
      deploymentId: deployment.id,
      stageName: STAGE_NAME,
      accessLogSettings: {
        destinationArn: this.accessLogGroup.arn,
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

  /** A POST route under the API's root, signed (AWS_IAM), its body checked against a model, proxied to a function. */
  private postRoute(route: {
    readonly name: string;
    readonly path: string;
    readonly fn: NodeFunction;
    readonly validatorId: string;
    /** The Lambda permission's id (kept as first deployed, so that no deployment replaces it). */
    readonly permissionId: string;
    readonly model: { readonly name: string; readonly required: string[]; readonly properties: object };
  }) {
    const restApiId = this.restApi.id;
    const resource = new ApiGatewayResource(this, `${route.name}_resource`, {
      restApiId,
      parentId: this.restApi.rootResourceId,
      pathPart: route.path,
    });
    const model = new ApiGatewayModel(this, `${route.name}_request_model`, {
      restApiId,
      name: route.model.name,
      contentType: "application/json",
      schema: JSON.stringify({
        $schema: "http://json-schema.org/draft-04/schema#",
        type: "object",
        required: route.model.required,
        properties: route.model.properties,
      }),
    });
    const method = new ApiGatewayMethod(this, `${route.name}_method`, {
      restApiId,
      resourceId: resource.id,
      httpMethod: "POST",
      authorization: "AWS_IAM",
      requestValidatorId: route.validatorId,
      requestModels: { "application/json": model.name },
    });
    const integration = new ApiGatewayIntegration(this, `${route.name}_integration`, {
      restApiId,
      resourceId: resource.id,
      httpMethod: method.httpMethod,
      type: "AWS_PROXY",
      integrationHttpMethod: "POST",
      uri: route.fn.function.invokeArn,
    });
    new LambdaPermission(this, route.permissionId, {
      action: "lambda:InvokeFunction",
      functionName: route.fn.function.functionName,
      principal: "apigateway.amazonaws.com",
      sourceArn: `${this.restApi.executionArn}/*/POST/${route.path}`,
    });
    return { resource, model, method, integration };
  }

  /**
   * Who may call the API at all, on top of AWS_IAM: this account's principals (and any named ones), optionally
   * only through named VPC endpoints ("Controlling access to a REST API with API Gateway resource policies").
   */
  private resourcePolicy(props: ClassificationApiProps): string {
    const methodArns = [CLASSIFY_PATH, CORRECTIONS_PATH].map(
      (path) => `${this.restApi.executionArn}/*/POST/${path}`,
    );
    const allowCallers = {
      sid: "ThisAccountAndNamedPrincipals",
      principals: [
        {
          type: "AWS",
          identifiers: Fn.concat([
            [`arn:${props.partition}:iam::${props.accountId}:root`],
            props.allowedPrincipalArns,
          ]),
        },
      ],
      actions: ["execute-api:Invoke"],
      resources: methodArns,
    };
    const accountOnly = new DataAwsIamPolicyDocument(this, "resource_policy_callers", {
      statement: [allowCallers],
    });
    const throughEndpoints = new DataAwsIamPolicyDocument(this, "resource_policy_callers_via_vpce", {
      statement: [
        allowCallers,
        {
          sid: "OnlyThroughNamedVpcEndpoints",
          effect: "Deny",
          principals: [{ type: "*", identifiers: ["*"] }],
          actions: ["execute-api:Invoke"],
          resources: methodArns,
          condition: [
            { test: "StringNotEquals", variable: "aws:SourceVpce", values: props.allowedVpcEndpointIds },
          ],
        },
      ],
    });
    // A Deny naming no endpoint would refuse every call, so it is there only when endpoints are named.
    return Fn.conditional(
      Op.gte(Fn.lengthOf(props.allowedVpcEndpointIds), 1),
      throughEndpoints.json,
      accountOnly.json,
    );
  }
}
