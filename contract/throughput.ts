/**
 * What one inference unit of a Comprehend endpoint serves ("Guidelines and quotas", document classification,
 * real-time analysis: "Maximum throughput per inference unit" 100 characters and 2 documents a second). The
 * API's default rate limit follows from both and the length of a typical ticket, which the ETL's report gives
 * (document_bytes.mean) for the model's own training data.
 */
export const UNIT_CHARACTERS_PER_SECOND = 100;
export const UNIT_DOCUMENTS_PER_SECOND = 2;

/** A typical service request when nothing better is known: a subject line and a few sentences. */
export const DEFAULT_TYPICAL_TICKET_CHARACTERS = 300;

/** Requests a second the endpoint serves: the tighter of the two limits, for tickets of this length. */
export function requestsPerSecond(inferenceUnits: number, typicalCharacters: number): number {
  const perUnit = Math.min(UNIT_DOCUMENTS_PER_SECOND, UNIT_CHARACTERS_PER_SECOND / typicalCharacters);
  return Math.floor(inferenceUnits * perUnit * 100) / 100;
}
