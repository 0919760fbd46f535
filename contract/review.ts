/**
 * The review loop's records: a ticket the model was unsure about, queued for a person, and a correction (the
 * label a person gave a text). The classify function writes the first, the corrections function the second,
 * and whatever reads them later (a review page, retraining) parses them here.
 */
import { DATA_PREFIXES } from "./data-layout";

/** A queued ticket: `review/queue/<id>.json`. */
export interface ReviewItem {
  readonly id: string;
  readonly text: string;
  readonly predicted_label: string;
  readonly score: number;
  /** Every class with its score, highest first, as the API answered. */
  readonly scores: readonly { readonly label: string; readonly score: number }[];
  /** The threshold the score was below: its label's (from scoring) or review_threshold; null: never routes. */
  readonly threshold: number | null;
  readonly received_at: string;
  readonly source: "api" | "batch";
  /** The API Gateway request id, for the access log. */
  readonly api_request_id?: string;
}

/** A correction: `corrections/<yyyy-mm-dd>/<id>.json`. */
export interface Correction {
  readonly id: string;
  readonly text: string;
  readonly label: string;
  readonly corrected_at: string;
  readonly source: "api" | "review-page" | "csv";
  /** The queued item it answers, if any; its prediction is kept to measure what the model got wrong. */
  readonly review_id?: string;
  readonly predicted_label?: string;
  /** No training document of the served model had this label; absent when not known (an imported export). */
  readonly new_label?: boolean;
}

/** Ids are API Gateway request ids or UUIDs: safe as key names, never a path. */
export const RECORD_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{0,127}$/;

export function reviewItemKey(id: string): string {
  return `${DATA_PREFIXES.reviewQueue}${id}.json`;
}

/** An imported export's corrections, one JSON object per line: named by the upload, so a redelivery finds it. */
export function importedCorrectionsKey(runId: string): string {
  return `${DATA_PREFIXES.corrections}csv/${runId}.jsonl`;
}

export function correctionKey(correction: Pick<Correction, "id" | "corrected_at">): string {
  return `${DATA_PREFIXES.corrections}${correction.corrected_at.slice(0, 10)}/${correction.id}.json`;
}

/** The longest label a correction may carry (Comprehend's labels are short names, not texts). */
export const MAX_LABEL_CHARACTERS = 256;
