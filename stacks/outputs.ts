/**
 * Each stack's outputs by name: the stack declares exactly these (its outputs record is typed by them), and
 * the stacks downstream read them through `upstreamOutputs`, so a renamed output is a compile error there.
 * The plan review's stubs (review/upstream-stubs.json) must hold them too; a test checks.
 */
/** Outputs the other stacks read through terraform_remote_state. */
export const DATA_OUTPUTS = ["s3_bucket_name", "s3_bucket_arn", "kms_key_arn"] as const;

/** Outputs the downstream stacks read through terraform_remote_state. */
export const NETWORK_OUTPUTS = [
  "vpc_id",
  "vpc_cidr_block",
  "private_subnet_ids",
  "functions_security_group_id",
  "efs_security_group_id",
  "comprehend_jobs_security_group_id",
] as const;

/** Outputs the inference stack (and the operator) read. */
export const TRAINING_OUTPUTS = [
  "s3_bucket_name",
  "s3_bucket_arn",
  "kms_key_arn",
  "sns_topic_arn",
  "efs_file_system_id",
  "etl_function_name",
  "train_function_name",
  "notify_function_name",
  "resource_name_prefix",
] as const;

export const INFERENCE_OUTPUTS = [
  "rest_api_invoke_url",
  "rest_api_id",
  "comprehend_endpoint_arn",
  "served_classifier_arn",
  "classify_function_name",
  "dashboard_url",
  "active_hours_json",
] as const;

export type OutputName<List extends readonly string[]> = List[number];
