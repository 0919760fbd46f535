import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy";
import type { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { SchedulerSchedule } from "@cdktf/provider-aws/lib/scheduler-schedule";
import { type DataResource, Fn, TerraformCount, TerraformLocal, type TerraformVariable, Token } from "cdktf";
import { Construct } from "constructs";
import { SCHEDULE_KEY, type ScheduledAction } from "../../contract/endpoint-lifecycle";
import { hcl } from "./terraform-expression";

/**
 * The variable as the functions read it (contract/active-hours.ts: JSON, or "" for always on), and whether the
 * endpoint is always on: locals, so that other expressions can use them (cdktf renders a null or "" operand
 * of its operators as `undefined`).
 */
export function activeHoursLocals(scope: Construct, activeHours: TerraformVariable) {
  const hours = `var.${activeHours.friendlyUniqueId}`;
  return {
    json: new TerraformLocal(
      scope,
      "endpoint_active_hours_json",
      hcl(`${hours} == null ? "" : jsonencode(${hours})`),
    ).asString,
    alwaysOn: new TerraformLocal(scope, "endpoint_always_on", hcl(`${hours} == null`)).asBoolean,
  };
}

export interface EndpointScheduleProps {
  readonly namePrefix: string;
  readonly accountId: string;
  /** endpoint_active_hours: null (always on) or { days, start, end, time_zone }. */
  readonly activeHours: TerraformVariable;
  readonly lifecycleFunction: LambdaFunction;
  /** The endpoint's desired configuration (terraform_data): what the resume schedule creates. */
  readonly desired: DataResource;
}

/**
 * The endpoint's active hours as two EventBridge Scheduler schedules in the operator's time zone
 * (schedule_expression_timezone: a 07:00 start stays 07:00 across daylight saving): at the end the lifecycle
 * function removes the endpoint, at the start it creates it again with the configuration Terraform holds.
 * Neither touches Terraform's state, and aws_lambda_invocation invokes only when its arguments change (provider
 * docs, "aws_lambda_invocation": "if the arguments do not change, a subsequent apply does not invoke the function
 * again"), so the next plan after a pause or a resume shows no change (the real terraform shows it:
 * __tests__/stacks/terraform-behaviour.test.ts).
 */
export class EndpointSchedule extends Construct {
  constructor(scope: Construct, id: string, props: EndpointScheduleProps) {
    super(scope, id);
    const hours = `var.${props.activeHours.friendlyUniqueId}`;
    const enabled = TerraformCount.of(Token.asNumber(hcl(`${hours} == null ? 0 : 1`)));

    const assumeByScheduler = new DataAwsIamPolicyDocument(this, "assume_role", {
      statement: [
        {
          actions: ["sts:AssumeRole"],
          principals: [{ type: "Service", identifiers: ["scheduler.amazonaws.com"] }],
          // "Set up the execution role" (EventBridge Scheduler User Guide): against the confused deputy.
          condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [props.accountId] }],
        },
      ],
    });
    const role = new IamRole(this, "role", {
      count: enabled,
      name: `${props.namePrefix}-endpoint-schedule`,
      assumeRolePolicy: assumeByScheduler.json,
    });
    const invoke = new DataAwsIamPolicyDocument(this, "policy", {
      statement: [
        {
          sid: "InvokeLifecycleFunction",
          actions: ["lambda:InvokeFunction"],
          resources: [props.lifecycleFunction.arn],
        },
      ],
    });
    new IamRolePolicy(this, "role_policy", {
      count: enabled,
      role: hcl(`aws_iam_role.${role.friendlyUniqueId}[0].id`),
      name: "invoke-endpoint-lifecycle",
      policy: invoke.json,
    });

    const minutesOf = (field: "start" | "end") => `tonumber(split(":", ${hours}.${field})[1])`;
    const hourOf = (field: "start" | "end") => `tonumber(split(":", ${hours}.${field})[0])`;
    const schedule = (action: ScheduledAction, field: "start" | "end") =>
      new SchedulerSchedule(this, action, {
        count: enabled,
        name: `${props.namePrefix}-endpoint-${action}`,
        description:
          action === "pause"
            ? "End of endpoint_active_hours: removes the Comprehend endpoint (no charges until the next start)"
            : "Start of endpoint_active_hours: creates the Comprehend endpoint with the configuration Terraform holds",
        scheduleExpression: `cron(${hcl(minutesOf(field))} ${hcl(hourOf(field))} ? * ${hcl(`${hours}.days`)} *)`,
        scheduleExpressionTimezone: hcl(`${hours}.time_zone`),
        flexibleTimeWindow: { mode: "OFF" },
        target: {
          arn: props.lifecycleFunction.arn,
          roleArn: hcl(`aws_iam_role.${role.friendlyUniqueId}[0].arn`),
          input: Fn.jsonencode(
            Fn.merge([props.desired.interpolationForAttribute("output"), { [SCHEDULE_KEY]: action }]),
          ),
          // Scheduler's retries cover handing the event to Lambda; a failing pause or resume is retried twice by
          // Lambda and then reported to the topic (the lifecycle function's failure destination).
          retryPolicy: { maximumRetryAttempts: 5, maximumEventAgeInSeconds: 3600 },
        },
      });
    schedule("pause", "end");
    schedule("resume", "start");
  }
}
