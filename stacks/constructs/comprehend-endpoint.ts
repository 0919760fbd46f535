import { AppautoscalingPolicy } from "@cdktf/provider-aws/lib/appautoscaling-policy";
import { AppautoscalingTarget } from "@cdktf/provider-aws/lib/appautoscaling-target";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import { LambdaInvocation } from "@cdktf/provider-aws/lib/lambda-invocation";
import { DataResource, Fn, type IResolvable, Op, TerraformCount } from "cdktf";
import { Construct } from "constructs";
import { type EndpointLifecycleInput, endpointArn, TERRAFORM_KEY } from "../../contract/endpoint-lifecycle";
import { ENDPOINT_LIFECYCLE_ENVIRONMENT, environmentFor } from "../../contract/environment";
import { functionName } from "../../contract/functions";
import { type FunctionNetwork, NodeFunction } from "./node-function";

export interface EndpointAutoscaling {
  readonly enabled: boolean | IResolvable;
  readonly maxInferenceUnits: number;
  readonly targetUtilization: number;
}

export interface ComprehendEndpointProps {
  readonly namePrefix: string;
  readonly region: string;
  readonly endpointName: string;
  readonly modelArn: string;
  readonly inferenceUnits: number;
  /** Key the model was encrypted with at training (ModelKmsKeyId); the endpoint decrypts it with a role. */
  readonly modelKmsKeyArn: string;
  readonly network: FunctionNetwork;
  readonly logRetentionDays: number;
  readonly logKmsKeyArn: string;
  readonly autoscaling: EndpointAutoscaling;
  /**
   * Where a scheduled pause or resume that still fails after Lambda's retries is reported (EventBridge
   * Scheduler invokes asynchronously; Terraform's invocations are synchronous and unaffected).
   */
  readonly onFailureTopic: { readonly arn: string; readonly kmsKeyArn: string };
  /** endpoint_active_hours as JSON ("" for always on): outside them the function keeps no endpoint. */
  readonly activeHoursJson: string;
}

/** Application Auto Scaling's dimension for a classifier endpoint's inference units. */
export const ENDPOINT_SCALABLE_DIMENSION = "comprehend:document-classifier-endpoint:DesiredInferenceUnits";

/**
 * The original sample's custom-resource endpoint, in Terraform terms: a terraform_data resource holds the
 * endpoint's desired configuration (so `terraform plan` shows model and units changing), and an
 * aws_lambda_invocation with lifecycle_scope CRUD has the endpoint-lifecycle function create, update and,
 * on destroy, delete the endpoint.
 */
export class ComprehendEndpoint extends Construct {
  readonly desired: DataResource;
  readonly lifecycleFunction: NodeFunction;
  readonly invocation: LambdaInvocation;
  readonly dataAccessRole: IamRole;
  readonly endpointArn: string;
  readonly partition: string;

  constructor(scope: Construct, id: string, props: ComprehendEndpointProps) {
    super(scope, id);
    const modelArnParts = Fn.split(":", props.modelArn);
    const partition = Fn.element(modelArnParts, 1);
    this.partition = partition;
    const accountId = Fn.element(modelArnParts, 4);
    // Grants name the classifier, whichever of its versions the ARN points at.
    const classifierArn = Fn.element(Fn.split("/version/", props.modelArn), 0);
    const arn = endpointArn({
      partition,
      region: props.region,
      account: accountId,
      name: props.endpointName,
    });

    const assumeByComprehend = new DataAwsIamPolicyDocument(this, "data_access_assume_role", {
      statement: [
        {
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["comprehend.amazonaws.com"] }],
          condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [accountId] }],
        },
      ],
    });
    this.dataAccessRole = new IamRole(this, "data_access_role", {
      name: `${props.namePrefix}-endpoint-data-access`,
      assumeRolePolicy: assumeByComprehend.json,
    });
    const decryptModel = new DataAwsIamPolicyDocument(this, "data_access_policy", {
      statement: [
        {
          sid: "DecryptModel",
          actions: ["kms:Decrypt", "kms:DescribeKey"],
          resources: [props.modelKmsKeyArn],
        },
        {
          sid: "GrantModelKeyToEndpoint",
          actions: ["kms:CreateGrant"],
          resources: [props.modelKmsKeyArn],
          condition: [{ test: "Bool", variable: "kms:GrantIsForAWSResource", values: ["true"] }],
        },
      ],
    });
    const dataAccessPolicy = new IamRolePolicy(this, "data_access_role_policy", {
      role: this.dataAccessRole.id,
      name: "decrypt-model",
      policy: decryptModel.json,
    });

    this.lifecycleFunction = new NodeFunction(this, "lifecycle", {
      functionName: functionName(props.namePrefix, "endpointLifecycle"),
      bundle: "endpoint",
      description:
        "Creates, updates and deletes the Comprehend endpoint for Terraform (aws_lambda_invocation CRUD)",
      network: props.network,
      logRetentionDays: props.logRetentionDays,
      logKmsKeyArn: props.logKmsKeyArn,
      // Creating an endpoint takes minutes; the function waits for IN_SERVICE within Lambda's 15.
      timeoutSeconds: 900,
      onFailureTopic: props.onFailureTopic,
      environment: environmentFor(ENDPOINT_LIFECYCLE_ENVIRONMENT, { ACTIVE_HOURS: props.activeHoursJson }),
      statements: [
        {
          sid: "ManageEndpoint",
          actions: [
            "comprehend:CreateEndpoint",
            "comprehend:UpdateEndpoint",
            "comprehend:DescribeEndpoint",
            "comprehend:DeleteEndpoint",
            "comprehend:TagResource",
            "comprehend:UntagResource",
          ],
          resources: [
            `arn:${partition}:comprehend:${props.region}:${accountId}:document-classifier-endpoint/${props.namePrefix}-*`,
          ],
        },
        {
          // CreateEndpoint and UpdateEndpoint are also authorized against the model they serve.
          sid: "ServeModel",
          actions: ["comprehend:CreateEndpoint", "comprehend:UpdateEndpoint"],
          resources: [classifierArn, `${classifierArn}/version/*`],
        },
        {
          // A model encrypted with a customer managed key: on CreateEndpoint/UpdateEndpoint, Comprehend creates
          // the grant on the model key that lets the endpoint's data access role decrypt it, and it does so with
          // the caller's permissions (a forward access session: "Forward access sessions", IAM User Guide). So
          // the caller, this function, needs kms:CreateGrant, and only as Comprehend's grant for an AWS
          // resource ("kms:GrantIsForAWSResource" and "kms:ViaService", AWS KMS Developer Guide, condition keys).
          sid: "LetComprehendGrantModelKeyToEndpoint",
          actions: ["kms:CreateGrant"],
          resources: [props.modelKmsKeyArn],
          condition: [
            { test: "Bool", variable: "kms:GrantIsForAWSResource", values: ["true"] },
            {
              test: "StringEquals",
              variable: "kms:ViaService",
              values: [`comprehend.${props.region}.amazonaws.com`],
            },
          ],
        },
        {
          sid: "DescribeModelKeyThroughComprehend",
          actions: ["kms:DescribeKey"],
          resources: [props.modelKmsKeyArn],
          condition: [
            {
              test: "StringEquals",
              variable: "kms:ViaService",
              values: [`comprehend.${props.region}.amazonaws.com`],
            },
          ],
        },
        {
          sid: "PassDataAccessRole",
          actions: ["iam:PassRole"],
          resources: [this.dataAccessRole.arn],
          condition: [
            { test: "StringEquals", variable: "iam:PassedToService", values: ["comprehend.amazonaws.com"] },
          ],
        },
      ],
    });

    this.desired = new DataResource(this, "desired", {
      input: {
        endpoint_name: props.endpointName,
        model_arn: props.modelArn,
        desired_inference_units: props.inferenceUnits,
        data_access_role_arn: this.dataAccessRole.arn,
        // With autoscaling on, units are set at create only; later updates leave them to Application Auto Scaling.
        units_managed_by_autoscaling: props.autoscaling.enabled,
        tags: { app: props.namePrefix },
      } satisfies Record<keyof EndpointLifecycleInput, unknown>,
    });

    this.invocation = new LambdaInvocation(this, "lifecycle_invocation", {
      functionName: this.lifecycleFunction.function.functionName,
      input: Fn.jsonencode(this.desired.interpolationForAttribute("output")),
      lifecycleScope: "CRUD",
      terraformKey: TERRAFORM_KEY,
      // The endpoint must be deleted while the function and its permissions still exist.
      dependsOn: [this.lifecycleFunction.function, dataAccessPolicy],
    });
    // The ARN follows from the name, so dependants need not wait for (or show as unknown) the invocation's
    // result, which CRUD scope marks unknown on every change.
    this.endpointArn = arn;

    const scaling = TerraformCount.of(Fn.conditional(Op.eq(props.autoscaling.enabled, true), 1, 0));
    const target = new AppautoscalingTarget(this, "autoscaling_target", {
      count: scaling,
      serviceNamespace: "comprehend",
      resourceId: this.endpointArn,
      scalableDimension: ENDPOINT_SCALABLE_DIMENSION,
      minCapacity: props.inferenceUnits,
      maxCapacity: props.autoscaling.maxInferenceUnits,
      dependsOn: [this.invocation],
    });
    new AppautoscalingPolicy(this, "autoscaling_policy", {
      count: scaling,
      name: `${props.namePrefix}-endpoint-utilization`,
      policyType: "TargetTrackingScaling",
      serviceNamespace: "comprehend",
      resourceId: this.endpointArn,
      scalableDimension: ENDPOINT_SCALABLE_DIMENSION,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: props.autoscaling.targetUtilization,
        predefinedMetricSpecification: { predefinedMetricType: "ComprehendInferenceUtilization" },
      },
      dependsOn: [target],
    });
  }
}
