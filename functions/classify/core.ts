import {
  type ActiveHours,
  activeWindow,
  describeActiveHours,
  formatLocal,
} from "../../contract/active-hours";
import { type EffectiveThreshold, routes } from "../pipeline-shared/routing-thresholds";
/**
 * The classification API's pure core: reading the caller's request, fitting the text to Comprehend's real-time
 * limit, shaping the answer in the original sample's documented envelope, and choosing the HTTP status for a
 * failure. Nothing here talks to AWS, so every rule is testable with plain values.
 */

/** Comprehend's real-time ClassifyDocument accepts at most this many bytes of UTF-8 text. */
export const MAX_TEXT_BYTES = 10_000;

/** A request the caller must fix; always answered with a 4xx, never a 5xx. */
export class RequestError extends Error {
  override readonly name = "RequestError";

  constructor(
    message: string,
    readonly statusCode = 400,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface ClassScore {
  Name: string;
  Score: number;
}

/**
 * The JSON object of an API Gateway proxy body, which may arrive base64-encoded; anything else is a 400 in the
 * caller's words (`empty` and `notObject` say what to send).
 */
export function readJsonObjectBody(
  body: string | null | undefined,
  isBase64Encoded: boolean,
  messages: { readonly empty: string; readonly notObject: string },
): Record<string, unknown> {
  if (body === null || body === undefined || body === "") throw new RequestError(messages.empty);
  const raw = isBase64Encoded ? Buffer.from(body, "base64").toString("utf8") : body;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new RequestError(`Request body is not valid JSON: ${(error as Error).message}`, 400, {
      cause: error,
    });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new RequestError(messages.notObject);
  }
  return parsed as Record<string, unknown>;
}

/** What a JSON value is, for a message: "null", "an array", "a number". */
export function describeJsonValue(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "an array" : `a ${typeof value}`;
}

/** Reads `{"Text": "..."}` from an API Gateway proxy body, which may arrive base64-encoded. */
export function parseClassifyRequest(body: string | null | undefined, isBase64Encoded = false): string {
  const parsed = readJsonObjectBody(body, isBase64Encoded, {
    empty: 'Request body is empty; send a JSON object like {"Text": "my laptop will not boot"}',
    notObject: 'Request body must be a JSON object like {"Text": "my laptop will not boot"}',
  });
  if (!("Text" in parsed)) {
    throw new RequestError('Request body has no "Text" field');
  }
  const text = parsed.Text;
  if (typeof text !== "string") {
    throw new RequestError(`"Text" must be a string, got ${describeJsonValue(text)}`);
  }
  if (text.trim() === "") {
    throw new RequestError('"Text" is empty; send the words of the service request to classify');
  }
  return text;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/**
 * Cuts text to at most `maxBytes` of UTF-8 at a boundary a reader would call a character: never inside a
 * multi-byte sequence or a surrogate pair, and where possible not between a letter and its combining accent
 * or inside an emoji sequence.
 */
export function truncateUtf8(text: string, maxBytes = MAX_TEXT_BYTES): { text: string; truncated: boolean } {
  if (Buffer.byteLength(text, "utf8") <= maxBytes) return { text, truncated: false };

  // Every UTF-16 unit costs at least one byte, so the first maxBytes + 1 units already exceed the limit:
  // only that prefix needs segmenting, however long the request was. Its last (maybe partial) segment can
  // never fit, so slicing there cannot split a cluster that ends up in the result.
  const prefix = text.slice(0, maxBytes + 1);
  let bytes = 0;
  let end = 0;
  for (const { segment } of graphemes.segment(prefix)) {
    const size = Buffer.byteLength(segment, "utf8");
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += segment.length;
  }
  if (end === 0) end = codePointPrefixLength(prefix, maxBytes);
  return { text: text.slice(0, end), truncated: true };
}

/** Fallback for a single cluster longer than the limit (e.g. a letter with thousands of combining marks). */
function codePointPrefixLength(text: string, maxBytes: number): number {
  let bytes = 0;
  let end = 0;
  for (const codePoint of text) {
    const size = Buffer.byteLength(codePoint, "utf8");
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += codePoint.length;
  }
  return end;
}

/** Comprehend lists multi-class results as Classes and multi-label results as Labels; both answer the same way. */
export function rankClasses(classes: readonly { Name?: string; Score?: number }[] | undefined): ClassScore[] {
  return (classes ?? [])
    .filter((c): c is ClassScore => typeof c.Name === "string" && typeof c.Score === "number")
    .map(({ Name, Score }) => ({ Name, Score }))
    .sort((a, b) => b.Score - a.Score);
}

export interface ProxyResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const jsonHeaders = { "Content-Type": "application/json" };

/** What a caller that asked for it (`?decision=true`) may do with the answer: route it, or have a person look. */
export interface Decision {
  readonly label: string;
  readonly score: number;
  readonly action: "route" | "review";
  /** The threshold the score was held against; null: this label's answers always go to a person. */
  readonly threshold: number | null;
  /** "label": the label's own threshold from scoring the model (auto_route_precision); else review_threshold. */
  readonly threshold_source: EffectiveThreshold["source"];
}

/** The query parameter that asks for a decision beside the sample's answer, which stays as it is without it. */
export const DECISION_PARAMETER = "decision";

export function decisionFor(
  classes: readonly ClassScore[],
  thresholdOf: (label: string) => EffectiveThreshold,
): Decision | undefined {
  const top = classes[0];
  if (!top) return undefined;
  const effective = thresholdOf(top.Name);
  return {
    label: top.Name,
    score: top.Score,
    action: routes(top.Score, effective) ? "route" : "review",
    threshold: effective.threshold,
    threshold_source: effective.source,
  };
}

export function wantsDecision(
  query: Readonly<Record<string, string | undefined>> | null | undefined,
): boolean {
  const value = query?.[DECISION_PARAMETER];
  return value === "true" || value === "1";
}

export function successResponse(classes: ClassScore[], truncated: boolean, decision?: Decision): ProxyResult {
  const payload = {
    statusCode: 200,
    body: classes,
    ...(truncated && { truncated: true }),
    ...(decision && { decision }),
  };
  return { statusCode: 200, headers: { ...jsonHeaders }, body: JSON.stringify(payload) };
}

export function errorResponse(
  statusCode: number,
  message: string,
  headers: Record<string, string> = {},
): ProxyResult {
  return {
    statusCode,
    headers: { ...jsonHeaders, ...headers },
    body: JSON.stringify({ statusCode, error: message }),
  };
}

/** How a failed ClassifyDocument call is answered: status, the words the caller sees, and whether it is our fault. */
export interface FailureAnswer {
  statusCode: number;
  message: string;
  headers: Record<string, string>;
  /** True when the cause is on the service side and belongs in the error log with its details. */
  serverFault: boolean;
}

const THROTTLING_ERRORS = new Set(["TooManyRequestsException", "ThrottlingException", "ThrottledException"]);

/**
 * Outside endpoint_active_hours there is no endpoint: say so, and when it is back, without calling Comprehend.
 * Retry-After counts to the next start (RFC 9110 allows seconds); creation then takes some minutes more, which
 * the endpoint's own 503 (ResourceUnavailableException) covers.
 */
export function pausedAnswer(now: Date, hours: ActiveHours | undefined): FailureAnswer | undefined {
  if (!hours) return undefined;
  const window = activeWindow(now, hours);
  if (window.active) return undefined;
  const seconds = Math.max(1, Math.ceil((window.nextStart.getTime() - now.getTime()) / 1000));
  return {
    statusCode: 503,
    message: `The classifier is paused outside its active hours (${describeActiveHours(hours)}); it resumes at ${formatLocal(window.nextStart, hours.time_zone)}`,
    headers: { "Retry-After": String(seconds) },
    serverFault: false,
  };
}

/** How long after the start of the active hours a missing endpoint is taken for one still being created. */
export const RESUME_MINUTES = 30;

/**
 * In the first minutes of the active hours the resumed endpoint is still being created: Comprehend answers that
 * it does not exist or is not in service. Said as what it is, by design like the pause (the 5XX alarm leaves it
 * out): 503, retry in a minute.
 */
export function resumingAnswer(
  now: Date,
  hours: ActiveHours | undefined,
  error: unknown,
): FailureAnswer | undefined {
  if (!hours) return undefined;
  const name = error instanceof Error ? error.name : "";
  if (name !== "ResourceNotFoundException" && name !== "ResourceUnavailableException") return undefined;
  const window = activeWindow(now, hours);
  if (!window.active || now.getTime() - window.nextStart.getTime() > RESUME_MINUTES * 60_000)
    return undefined;
  return {
    statusCode: 503,
    message: `The classifier is starting for its active hours (${describeActiveHours(hours)}) and serves within minutes; retry shortly`,
    headers: { "Retry-After": "60" },
    serverFault: false,
  };
}

export function answerForComprehendError(error: unknown, retryAfterSeconds: number): FailureAnswer {
  const name = error instanceof Error ? error.name : "";
  if (name === "ResourceUnavailableException") {
    return {
      statusCode: 503,
      message: "The classifier endpoint is not in service yet; retry later",
      headers: { "Retry-After": String(retryAfterSeconds) },
      serverFault: false,
    };
  }
  if (THROTTLING_ERRORS.has(name)) {
    return {
      statusCode: 429,
      message: "Too many classification requests; slow down and retry",
      headers: { "Retry-After": "1" },
      serverFault: false,
    };
  }
  // Comprehend marks a document it cannot read with Reason INVALID_DOCUMENT: that is the caller's text, not us.
  if (name === "InvalidRequestException" && (error as { Reason?: string }).Reason === "INVALID_DOCUMENT") {
    return {
      statusCode: 400,
      message: "Comprehend cannot classify this text",
      headers: {},
      serverFault: false,
    };
  }
  return {
    statusCode: 502,
    message: "Classification failed upstream; retry later",
    headers: {},
    serverFault: true,
  };
}
