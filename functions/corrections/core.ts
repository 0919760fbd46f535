/**
 * A correction request: `{"Text": ..., "Label": ...}` (a ticket system's automation when an agent re-assigns a
 * ticket) or `{"ReviewId": ..., "Label": ...}` (the answer to a queued ticket). Everything a caller can get
 * wrong is a 400 with words that say what to send, and nothing is stored.
 */
import { MAX_LABEL_CHARACTERS, RECORD_ID_PATTERN } from "../../contract/review";
import { describeJsonValue, RequestError, readJsonObjectBody } from "../classify/core";

export { RequestError };

/** The API's limit on texts, as for classification (stacks/inference-stack.ts, MAX_REQUEST_TEXT_CHARACTERS). */
export const MAX_CORRECTION_TEXT_CHARACTERS = 100_000;

export type CorrectionRequest =
  | { readonly kind: "text"; readonly text: string; readonly label: string }
  | { readonly kind: "review"; readonly reviewId: string; readonly label: string };

const EXAMPLE =
  '{"Text": "printer on floor 3 jams", "Label": "Hardware"} or {"ReviewId": "<id>", "Label": "Hardware"}';
// Control characters would break the training CSV's rows; Comprehend's labels are plain names.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

export function parseCorrectionRequest(
  body: string | null | undefined,
  isBase64Encoded = false,
): CorrectionRequest {
  const fields = readJsonObjectBody(body, isBase64Encoded, {
    empty: `Request body is empty; send ${EXAMPLE}`,
    notObject: `Request body must be a JSON object: ${EXAMPLE}`,
  });
  const unknown = Object.keys(fields).filter((key) => !["Text", "ReviewId", "Label"].includes(key));
  if (unknown.length > 0) {
    throw new RequestError(`Unknown field(s) ${unknown.map((k) => `"${k}"`).join(", ")}; send ${EXAMPLE}`);
  }
  const label = fields.Label;
  if (typeof label !== "string") {
    throw new RequestError(
      `"Label" must be a string, got ${label === undefined ? "nothing" : describeJsonValue(label)}`,
    );
  }
  const trimmed = label.trim();
  if (trimmed === "") throw new RequestError('"Label" is empty; send the label the ticket should have had');
  if (trimmed.length > MAX_LABEL_CHARACTERS || CONTROL.test(trimmed)) {
    throw new RequestError(
      `"Label" must be at most ${MAX_LABEL_CHARACTERS} characters without line breaks or control characters`,
    );
  }
  const hasText = "Text" in fields;
  const hasReview = "ReviewId" in fields;
  if (hasText === hasReview) {
    throw new RequestError(
      `Send either "Text" or "ReviewId" with "Label", not ${hasText ? "both" : "neither"}`,
    );
  }
  if (hasReview) {
    const id = fields.ReviewId;
    if (typeof id !== "string" || !RECORD_ID_PATTERN.test(id)) {
      throw new RequestError('"ReviewId" must be the id of a queued ticket (letters, digits and hyphens)');
    }
    return { kind: "review", reviewId: id, label: trimmed };
  }
  const text = fields.Text;
  if (typeof text !== "string")
    throw new RequestError(`"Text" must be a string, got ${describeJsonValue(text)}`);
  if (text.trim() === "") throw new RequestError('"Text" is empty; send the words of the ticket');
  if (text.length > MAX_CORRECTION_TEXT_CHARACTERS) {
    throw new RequestError(`"Text" is longer than ${MAX_CORRECTION_TEXT_CHARACTERS} characters`);
  }
  return { kind: "text", text, label: trimmed };
}
