/** Turns the API's HTTP answer into what the operator sees and the process exit code. */
import type { HttpAnswer } from "./request";

export const EXIT_OK = 0;
export const EXIT_API_ERROR = 1;
export const EXIT_USAGE = 2;
export const EXIT_NETWORK = 3;

export interface Outcome {
  exitCode: number;
  stdout?: string;
  stderr?: string;
}

export function interpretResponse(answer: HttpAnswer): Outcome {
  const parsed = parseJson(answer.body);
  if (answer.status >= 200 && answer.status < 300) {
    if (parsed === undefined) {
      return {
        exitCode: EXIT_API_ERROR,
        stderr: `The API answered ${answer.status} but not with JSON: ${clip(answer.body)}`,
      };
    }
    const note =
      isRecord(parsed) && parsed.truncated === true
        ? "Note: the text was longer than 10,000 bytes; only its beginning was classified."
        : undefined;
    return { exitCode: EXIT_OK, stdout: JSON.stringify(parsed, null, 2), ...(note ? { stderr: note } : {}) };
  }

  const message = messageOf(parsed) ?? clip(answer.body);
  const requestId = answer.headers["x-amzn-requestid"] ?? answer.headers["x-amz-apigw-id"];
  const trace = requestId ? ` (API request id ${requestId})` : "";
  return { exitCode: EXIT_API_ERROR, stderr: `${explain(answer, message)}${trace}` };
}

function explain(answer: HttpAnswer, message: string): string {
  const retryAfter = answer.headers["retry-after"];
  switch (answer.status) {
    case 403:
      return explainForbidden(message);
    case 503:
      return (
        `503 Service Unavailable: the classifier endpoint is not ready yet (it takes several minutes after a deploy or update)` +
        `${retryAfter ? `; retry after ${retryAfter} seconds` : "; retry later"}. API said: ${message}`
      );
    case 429:
      return `429 Too Many Requests: the API or Comprehend is throttling${retryAfter ? `; retry after ${retryAfter} seconds` : ""}. API said: ${message}`;
    case 400:
      return `400 Bad Request: ${message}`;
    default:
      return `${answer.status} from the API: ${message}`;
  }
}

/** API Gateway's words for a request signed with credentials that have expired (SSO, assumed roles: about an hour). */
const EXPIRED_CREDENTIALS = /security token .* (expired|invalid)|token has expired|ExpiredToken/i;

/** Whether a 403 says the signing credentials expired: a refresh and a retry fix it. */
export function isExpiredCredentials(answer: { status: number; body: string }): boolean {
  return answer.status === 403 && EXPIRED_CREDENTIALS.test(answer.body);
}

/** API Gateway answers 403 for several different problems; say which one this is. */
function explainForbidden(message: string): string {
  if (/not authorized to perform: execute-api:Invoke/i.test(message) || /explicit deny/i.test(message)) {
    return (
      "403 Forbidden: your AWS identity is missing the execute-api:Invoke permission on this API. Ask for a policy " +
      "allowing execute-api:Invoke on arn:aws:execute-api:<region>:<account>:<api-id>/prod/POST/invokecomprehendV1. " +
      `API said: ${message}`
    );
  }
  if (/Missing Authentication Token/i.test(message)) {
    return `403 Forbidden: API Gateway has no such resource or method; check the URL (it should end with /prod/invokecomprehendV1). API said: ${message}`;
  }
  if (EXPIRED_CREDENTIALS.test(message)) {
    return `403 Forbidden: your AWS credentials are expired or invalid; refresh them (e.g. aws sso login). API said: ${message}`;
  }
  if (/signature/i.test(message)) {
    return `403 Forbidden: the request signature was rejected; check --region matches the API's region and that your credentials are valid. API said: ${message}`;
  }
  return `403 Forbidden: access denied; check your identity has execute-api:Invoke on this API. API said: ${message}`;
}

function messageOf(parsed: unknown): string | undefined {
  if (!isRecord(parsed)) return undefined;
  // Our Lambda answers {"error": ...}; API Gateway answers {"message": ...} or {"Message": ...}.
  for (const key of ["error", "message", "Message"]) {
    const value = parsed[key];
    if (typeof value === "string" && value !== "") return value;
  }
  return undefined;
}

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > 300 ? `${oneLine.slice(0, 300)}…` : oneLine || "(empty body)";
}
