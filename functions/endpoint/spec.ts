/**
 * The endpoint's desired configuration as Terraform's aws_lambda_invocation (lifecycle_scope = "CRUD") sends it,
 * and the pure rules derived from it: the endpoint ARN and what an update must change.
 */

import { parseClassifierArn } from "../../contract/arns";
import {
  endpointArn,
  SCHEDULE_KEY,
  SCHEDULED_ACTIONS,
  type ScheduledAction,
  TERRAFORM_KEY,
} from "../../contract/endpoint-lifecycle";

export { TERRAFORM_KEY };

/** Terraform's actions, and the active-hours schedules' (SCHEDULE_KEY). */
export type LifecycleAction = "create" | "update" | "delete" | ScheduledAction;

export interface EndpointSpec {
  endpointName: string;
  modelArn: string;
  desiredInferenceUnits: number;
  tags: Record<string, string>;
  /** Role Comprehend assumes to read a model encrypted with a customer managed KMS key. */
  dataAccessRoleArn?: string | undefined;
  /** When Application Auto Scaling owns the unit count, Terraform only sets it at creation. */
  unitsManagedByAutoscaling: boolean;
}

export interface LifecycleRequest {
  action: LifecycleAction;
  desired: EndpointSpec;
  /** The configuration of the previous successful invocation; null on create. */
  previous: EndpointSpec | null;
}

/** The invocation's input does not describe an endpoint; Terraform shows this message to the operator. */
export class LifecycleInputError extends Error {
  override readonly name = "LifecycleInputError";
}

// Patterns from the Comprehend API reference (CreateEndpoint EndpointName, document-classifier ARNs).
const ENDPOINT_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/;
const MAX_ENDPOINT_NAME = 40;
const ROLE_ARN = /^arn:aws(-[^:]+)?:iam::[0-9]{12}:role\/.+$/;

export function parseLifecycleRequest(event: unknown, terraformKey = TERRAFORM_KEY): LifecycleRequest {
  if (!isObject(event)) throw new LifecycleInputError("Invocation input must be a JSON object");
  const scheduled = event[SCHEDULE_KEY];
  if (scheduled !== undefined) {
    if (!SCHEDULED_ACTIONS.includes(scheduled as ScheduledAction)) {
      throw new LifecycleInputError(
        `"${SCHEDULE_KEY}" must be ${SCHEDULED_ACTIONS.map((a) => `"${a}"`).join(" or ")}, got ${JSON.stringify(scheduled)}`,
      );
    }
    return { action: scheduled as ScheduledAction, desired: parseSpec(event, "input"), previous: null };
  }
  const lifecycle = event[terraformKey];
  if (!isObject(lifecycle)) {
    throw new LifecycleInputError(
      `Invocation input has no "${terraformKey}" object; invoke this function through aws_lambda_invocation with lifecycle_scope = "CRUD"`,
    );
  }
  const action = lifecycle.action;
  if (action !== "create" && action !== "update" && action !== "delete") {
    throw new LifecycleInputError(
      `"${terraformKey}.action" must be "create", "update" or "delete", got ${JSON.stringify(action)}`,
    );
  }
  const desired = parseSpec(event, "input");
  const prev = lifecycle.prev_input;
  const previous = prev === null || prev === undefined ? null : parseSpec(prev, `${terraformKey}.prev_input`);
  return { action, desired, previous };
}

function parseSpec(value: unknown, where: string): EndpointSpec {
  if (!isObject(value)) throw new LifecycleInputError(`${where} must be a JSON object`);
  const problems: string[] = [];

  const endpointName = value.endpoint_name;
  if (typeof endpointName !== "string" || !ENDPOINT_NAME.test(endpointName)) {
    problems.push(
      `endpoint_name must be letters, digits and inner hyphens, got ${JSON.stringify(endpointName ?? null)}`,
    );
  } else if (endpointName.length > MAX_ENDPOINT_NAME) {
    problems.push(
      `endpoint_name must be at most ${MAX_ENDPOINT_NAME} characters, got ${endpointName.length}`,
    );
  }

  const modelArn = value.model_arn;
  if (typeof modelArn !== "string" || !parseClassifierArn(modelArn)) {
    problems.push(
      `model_arn must be a Comprehend document classifier ARN (arn:aws:comprehend:<region>:<account>:document-classifier/<name>[/version/<v>]), got ${JSON.stringify(modelArn ?? null)}`,
    );
  }

  const units = value.desired_inference_units;
  if (typeof units !== "number" || !Number.isInteger(units) || units < 1) {
    problems.push(`desired_inference_units must be a positive integer, got ${JSON.stringify(units ?? null)}`);
  }

  const tags = value.tags ?? {};
  if (!isObject(tags) || Object.values(tags).some((v) => typeof v !== "string")) {
    problems.push("tags must be an object of string values");
  }

  const role = value.data_access_role_arn ?? undefined;
  if (role !== undefined && (typeof role !== "string" || !ROLE_ARN.test(role))) {
    problems.push(`data_access_role_arn must be an IAM role ARN, got ${JSON.stringify(role)}`);
  }

  const autoscaling = value.units_managed_by_autoscaling ?? false;
  if (typeof autoscaling !== "boolean") {
    problems.push(`units_managed_by_autoscaling must be true or false, got ${JSON.stringify(autoscaling)}`);
  }

  if (problems.length > 0) throw new LifecycleInputError(`Invalid ${where}: ${problems.join("; ")}`);
  return {
    endpointName: endpointName as string,
    modelArn: modelArn as string,
    desiredInferenceUnits: units as number,
    tags: tags as Record<string, string>,
    dataAccessRoleArn: role as string | undefined,
    unitsManagedByAutoscaling: autoscaling as boolean,
  };
}

/** An endpoint lives in the model's partition, region and account, so its ARN follows from the model's. */
export function endpointArnFor(spec: Pick<EndpointSpec, "endpointName" | "modelArn">): string {
  const model = parseClassifierArn(spec.modelArn);
  if (!model) throw new LifecycleInputError(`Not a document classifier ARN: ${spec.modelArn}`);
  return endpointArn({ ...model, name: spec.endpointName });
}

/** What Comprehend reports about an endpoint, reduced to what reconciling needs. */
export interface ObservedEndpoint {
  status: string;
  message?: string | undefined;
  modelArn?: string | undefined;
  desiredModelArn?: string | undefined;
  desiredInferenceUnits?: number | undefined;
  currentInferenceUnits?: number | undefined;
  dataAccessRoleArn?: string | undefined;
  desiredDataAccessRoleArn?: string | undefined;
}

export interface EndpointChange {
  DesiredModelArn?: string;
  DesiredInferenceUnits?: number;
  DesiredDataAccessRoleArn?: string;
}

/**
 * The UpdateEndpoint parameters that bring the observed endpoint to the spec, or null when it already has (or
 * is already moving to) that configuration. Compares with what the endpoint is converging to, so a retry of
 * an update in flight does not ask for it again.
 */
export function planUpdate(observed: ObservedEndpoint, spec: EndpointSpec): EndpointChange | null {
  const change: EndpointChange = {};
  const targetModel = observed.desiredModelArn ?? observed.modelArn;
  if (targetModel !== spec.modelArn) change.DesiredModelArn = spec.modelArn;
  const targetUnits = observed.desiredInferenceUnits ?? observed.currentInferenceUnits;
  if (!spec.unitsManagedByAutoscaling && targetUnits !== spec.desiredInferenceUnits) {
    change.DesiredInferenceUnits = spec.desiredInferenceUnits;
  }
  if (spec.dataAccessRoleArn) {
    const targetRole = observed.desiredDataAccessRoleArn ?? observed.dataAccessRoleArn;
    // A new model may be encrypted with a key only this role can use, so the role goes with every model change.
    // A role-only update needs Comprehend to report a different role: no report is no evidence of a difference.
    if ((targetRole !== undefined && targetRole !== spec.dataAccessRoleArn) || change.DesiredModelArn) {
      change.DesiredDataAccessRoleArn = spec.dataAccessRoleArn;
    }
  }
  return Object.keys(change).length > 0 ? change : null;
}

/** True once the endpoint serves the spec's model with the spec's units. */
export function hasConverged(observed: ObservedEndpoint, spec: EndpointSpec): boolean {
  if (observed.status !== "IN_SERVICE" || observed.modelArn !== spec.modelArn) return false;
  // Right after a role-only UpdateEndpoint the endpoint may still report IN_SERVICE with the old role.
  if (
    spec.dataAccessRoleArn &&
    observed.dataAccessRoleArn !== undefined &&
    observed.dataAccessRoleArn !== spec.dataAccessRoleArn
  ) {
    return false;
  }
  if (spec.unitsManagedByAutoscaling || observed.currentInferenceUnits === undefined) return true;
  return observed.currentInferenceUnits === spec.desiredInferenceUnits;
}

/** Tags to set and tag keys to remove to go from the previous invocation's tags to the desired ones. */
export function planTags(
  previous: Record<string, string>,
  desired: Record<string, string>,
): { set: Record<string, string>; remove: string[] } {
  const set = Object.fromEntries(Object.entries(desired).filter(([key, value]) => previous[key] !== value));
  const remove = Object.keys(previous).filter((key) => !(key in desired));
  return { set, remove };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
