import { DEFAULT_TRAINING_PRICE_PER_HOUR } from "../../contract/environment";
import { ConfigError } from "../shared/config";

export { DEFAULT_TRAINING_PRICE_PER_HOUR };

/**
 * Comprehend's real-time endpoint price in us-east-1 at the time of writing: $0.0005 per inference unit per
 * second (https://aws.amazon.com/comprehend/pricing/), quoted before an operator deploys one.
 */
export const ENDPOINT_PRICE_PER_INFERENCE_UNIT_HOUR = 0.0005 * 3600;

/**
 * Comprehend's price for asynchronous custom classification in us-east-1 at the time of writing: $0.0005 per
 * unit of 100 characters, at least 3 units per document (https://aws.amazon.com/comprehend/pricing/).
 */
export const BATCH_PRICE_PER_UNIT = 0.0005;
const BATCH_MIN_UNITS_PER_DOCUMENT = 3;

/** What a classification job over documents of these lengths costs, to the cent. */
export function batchCostUsd(documentLengths: readonly number[]): number {
  const units = documentLengths.reduce(
    (sum, length) => sum + Math.max(BATCH_MIN_UNITS_PER_DOCUMENT, Math.ceil(length / 100)),
    0,
  );
  return Math.round(units * BATCH_PRICE_PER_UNIT * 100) / 100;
}

/** A batch job's cost as the emails quote it, with the price it follows from. */
export function formatBatchCost(cost: number): string {
  const amount = cost < 0.01 ? "less than $0.01" : `about ${formatUsd(cost)}`;
  return `${amount} at $${BATCH_PRICE_PER_UNIT} per 100 characters (at least 300 per ticket)`;
}

/** Reads the training rate (USD per hour); a wrong value fails the cold start instead of misquoting costs. */
export function readHourlyRate(
  value: string | undefined,
  name = "TRAINING_PRICE_PER_HOUR",
  fallback = DEFAULT_TRAINING_PRICE_PER_HOUR,
): number {
  if (value === undefined || value.trim() === "") return fallback;
  const trimmed = value.trim();
  const rate = Number(trimmed);
  if (!/^\d+(\.\d+)?$/.test(trimmed) || !Number.isFinite(rate) || rate <= 0) {
    throw new ConfigError(`${name} must be a positive number of US dollars per hour, got "${value}"`);
  }
  return rate;
}

/** Milliseconds between two instants, or undefined when either end is unknown or they are out of order. */
export function durationMs(start: Date | undefined, end: Date | undefined): number | undefined {
  if (!start || !end) return undefined;
  const ms = end.getTime() - start.getTime();
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

export function costUsd(ms: number, ratePerHour: number): number {
  return Math.round((ms / 3_600_000) * ratePerHour * 100) / 100;
}

export function formatUsd(amount: number): string {
  return `$${amount.toFixed(2)}`;
}

/** "2 h 41 min", "12 min", "40 s": what a person reads, not an ISO duration. */
export function formatDuration(ms: number): string {
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 60) return `${totalSeconds} s`;
  const totalMinutes = Math.round(totalSeconds / 60);
  const hours = Math.floor(totalMinutes / 60);
  const minutes = totalMinutes % 60;
  if (hours === 0) return `${minutes} min`;
  return minutes === 0 ? `${hours} h` : `${hours} h ${minutes} min`;
}
