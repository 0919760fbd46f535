/**
 * The input the inference stack gives the endpoint-lifecycle function through aws_lambda_invocation (CRUD),
 * and the key under which the provider adds the action and the previous input.
 */

/** aws_lambda_invocation's `terraform_key`: the stack sets it, the function reads `event[TERRAFORM_KEY]`. */
export const TERRAFORM_KEY = "tf";

/**
 * The active-hours schedules invoke the function with the desired configuration plus this key, "pause" or
 * "resume" (stacks/constructs/endpoint-schedule.ts).
 */
export const SCHEDULE_KEY = "schedule";
export const SCHEDULED_ACTIONS = ["pause", "resume"] as const;
export type ScheduledAction = (typeof SCHEDULED_ACTIONS)[number];

/** The endpoint's desired configuration, as terraform_data holds it and the function receives it. */
export interface EndpointLifecycleInput {
  readonly endpoint_name: string;
  readonly model_arn: string;
  readonly desired_inference_units: number;
  readonly data_access_role_arn: string;
  /** With autoscaling on, units are set at create only; later updates leave them to Application Auto Scaling. */
  readonly units_managed_by_autoscaling: boolean;
  readonly tags: Readonly<Record<string, string>>;
}

/** Keys of the input, for the parser to name what is missing. */
export const ENDPOINT_LIFECYCLE_INPUT_KEYS = [
  "endpoint_name",
  "model_arn",
  "desired_inference_units",
  "data_access_role_arn",
  "units_managed_by_autoscaling",
  "tags",
] as const satisfies readonly (keyof EndpointLifecycleInput)[];

/** The endpoint's ARN follows from its name: the stack's outputs and the function build it the same way. */
export function endpointArn(parts: {
  partition: string;
  region: string;
  account: string;
  name: string;
}): string {
  return `arn:${parts.partition}:comprehend:${parts.region}:${parts.account}:document-classifier-endpoint/${parts.name}`;
}
