/**
 * The operator's alarms: each concern's name, what it means and the troubleshooting section that fixes it.
 * The stacks create the alarms from this list, `npm run status` finds them by their names, and the guide's
 * "Alarms and what to do" table and the troubleshooting page's headings are checked against it by a test.
 */
import { OWNED_NAME_SEPARATOR } from "./arns";

/** The project's docs folder: alarm and drift emails link into it (the docs_url variable, where the team reads it). */
export const DEFAULT_DOCS_URL = "docs";
export const TROUBLESHOOTING_DOC = "troubleshooting.md";
export const GUIDE_DOC = "operator-guide.md";

export interface AlarmConcern {
  /** The alarm name's last part: `<prefix>--[<function>-]<suffix>`. */
  readonly suffix: string;
  /** One line for the guide's table and the alarm's description: what it means. */
  readonly meaning: string;
  /** The heading's anchor in docs/troubleshooting.md (GitHub's slug of the heading). */
  readonly anchor: string;
}

export const ALARM_CONCERNS = {
  apiServerErrors: {
    suffix: "api-5xx",
    meaning: "The API answers with server errors (5XX) to a share of requests above the threshold.",
    anchor: "the-api-answers-with-server-errors-5xx",
  },
  apiLatency: {
    suffix: "api-p99-latency",
    meaning: "The slowest 1% of API requests take longer than the threshold.",
    anchor: "the-api-is-slow",
  },
  apiThrottled: {
    suffix: "api-throttled",
    meaning: "A share of requests above the threshold is refused with 429 (the API's rate limit).",
    anchor: "callers-are-throttled-429",
  },
  endpointIdle: {
    suffix: "endpoint-idle",
    meaning: "The endpoint has served no request for endpoint_idle_alert_hours, and is billed all the same.",
    anchor: "the-endpoint-is-idle",
  },
  endpointAtMaximum: {
    suffix: "endpoint-at-max",
    meaning:
      "Autoscaling holds the endpoint at its maximum inference units and it is still busier than its target.",
    anchor: "the-endpoint-is-at-its-autoscaling-maximum",
  },
  functionErrors: {
    suffix: "errors",
    meaning: "A function's invocation failed with an error.",
    anchor: "a-lambda-function-failed",
  },
  functionThrottles: {
    suffix: "throttles",
    meaning: "Lambda refused to run a function (concurrency limits).",
    anchor: "a-function-is-throttled",
  },
  asyncFailures: {
    suffix: "async-failures",
    meaning:
      "Lambda gave up on an event for a function after its retries (the failure record goes to the topic), or could not deliver that record.",
    anchor: "an-event-was-dropped",
  },
  etlDuration: {
    suffix: "etl-near-timeout",
    meaning: "An ETL run took longer than the threshold's share of its timeout; a larger dataset will fail.",
    anchor: "the-etl-is-close-to-its-timeout",
  },
} as const satisfies Record<string, AlarmConcern>;

export type AlarmConcernName = keyof typeof ALARM_CONCERNS;

/** Where every alarm of an app begins: `--` cannot appear in a prefix, so no other deployment's matches. */
export function alarmNamePrefix(namePrefix: string): string {
  return `${namePrefix}${OWNED_NAME_SEPARATOR}`;
}

/** An alarm's name; `subject` names the function of a per-function alarm. */
export function alarmName(namePrefix: string, concern: AlarmConcernName, subject?: string): string {
  const { suffix } = ALARM_CONCERNS[concern];
  return `${alarmNamePrefix(namePrefix)}${subject ? `${subject}-` : ""}${suffix}`;
}

/** The link an alarm's description ends with: its troubleshooting section, under the docs' base. */
export function troubleshootingLink(docsUrl: string, concern: AlarmConcernName): string {
  return `${docsUrl}/${TROUBLESHOOTING_DOC}#${ALARM_CONCERNS[concern].anchor}`;
}

/** The pipeline's topic: the training stack creates it, the inference stack's alarms publish to it by name. */
export function notificationTopicName(namePrefix: string): string {
  return `${namePrefix}-pipeline`;
}

/** The CloudWatch dashboard's name, for the stack, its output and `npm run status`. */
export function dashboardName(namePrefix: string): string {
  return `${namePrefix}-classifier`;
}
