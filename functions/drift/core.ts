/**
 * Has what the API classifies drifted from what the served model learned? The label mix of last week's
 * answers against the training data's, and last week's low-confidence share against the weeks before.
 *
 * The distance is Jensen-Shannon's (the square root of the divergence, base 2): symmetric, 0 for identical
 * mixes and 1 for mixes without a label in common, and defined when a label has no answer at all, where the
 * Kullback-Leibler divergence and the population stability index are infinite. So one number, on a fixed
 * scale, that a threshold can be set on once.
 */

import { GUIDE_DOC, TROUBLESHOOTING_DOC } from "../../contract/alarms";

export type LabelCounts = Readonly<Record<string, number>>;

export interface AnswerCounts {
  readonly answers: number;
  readonly lowConfidence: number;
}

export interface DriftInput {
  /** Documents per label the served model was trained on (its run's report, label_counts). */
  readonly training: LabelCounts;
  /** Answers per predicted label in the last week. */
  readonly lastWeek: LabelCounts;
  readonly lastWeekAnswers: AnswerCounts;
  /** The weeks before the last, for the low-confidence share's usual level. */
  readonly before: AnswerCounts;
}

export interface DriftThresholds {
  /** Jensen-Shannon distance (0 to 1) from which the label mix counts as moved. */
  readonly distance: number;
  /** Rise of the low-confidence share, in percentage points, that counts as a jump. */
  readonly lowConfidenceRisePoints: number;
  /** Fewer answers in a week say nothing either way. */
  readonly minAnswers: number;
}

export interface LabelShift {
  readonly label: string;
  /** Shares in percent. */
  readonly trainingShare: number;
  readonly recentShare: number;
}

export interface WeekAssessed {
  readonly kind: "steady" | "drifted";
  readonly answers: number;
  readonly distance: number;
  readonly mixMoved: boolean;
  readonly grew: readonly LabelShift[];
  readonly shrank: readonly LabelShift[];
  readonly lowConfidence: {
    readonly lastWeek: number;
    /** Undefined when the weeks before had too few answers to compare with. */
    readonly before: number | undefined;
    readonly jumped: boolean;
  };
}

export type DriftAssessment =
  | { readonly kind: "too-few-answers"; readonly answers: number; readonly minAnswers: number }
  | WeekAssessed;

/** A label whose share moved by fewer points than this is not named in the email. */
const NAMED_SHIFT_POINTS = 5;

function shares(counts: LabelCounts, labels: readonly string[]): number[] {
  const total = labels.reduce((sum, label) => sum + Math.max(0, counts[label] ?? 0), 0);
  return labels.map((label) => (total > 0 ? Math.max(0, counts[label] ?? 0) / total : 0));
}

/** Jensen-Shannon distance (base 2) between two distributions over the same labels. */
export function jensenShannonDistance(p: readonly number[], q: readonly number[]): number {
  if (p.length !== q.length) throw new RangeError("distributions over different labels");
  let divergence = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i] ?? 0;
    const qi = q[i] ?? 0;
    const mi = (pi + qi) / 2;
    if (pi > 0) divergence += 0.5 * pi * Math.log2(pi / mi);
    if (qi > 0) divergence += 0.5 * qi * Math.log2(qi / mi);
  }
  // Rounding can leave a tiny negative or a hair above 1.
  return Math.sqrt(Math.min(1, Math.max(0, divergence)));
}

function percent(part: number, whole: number): number {
  return whole > 0 ? (100 * part) / whole : 0;
}

export function assessDrift(input: DriftInput, thresholds: DriftThresholds): DriftAssessment {
  const answers = input.lastWeekAnswers.answers;
  if (answers < thresholds.minAnswers) {
    return { kind: "too-few-answers", answers, minAnswers: thresholds.minAnswers };
  }
  const labels = [...new Set([...Object.keys(input.training), ...Object.keys(input.lastWeek)])].sort();
  const trained = shares(input.training, labels);
  const recent = shares(input.lastWeek, labels);
  const distance = jensenShannonDistance(trained, recent);
  const shifts = labels.map((label, i) => ({
    label,
    trainingShare: 100 * (trained[i] ?? 0),
    recentShare: 100 * (recent[i] ?? 0),
  }));
  const moved = (shift: LabelShift) => shift.recentShare - shift.trainingShare;
  const grew = shifts.filter((s) => moved(s) >= NAMED_SHIFT_POINTS).sort((a, b) => moved(b) - moved(a));
  const shrank = shifts.filter((s) => -moved(s) >= NAMED_SHIFT_POINTS).sort((a, b) => moved(a) - moved(b));

  const lastWeek = percent(input.lastWeekAnswers.lowConfidence, answers);
  const before =
    input.before.answers >= thresholds.minAnswers
      ? percent(input.before.lowConfidence, input.before.answers)
      : undefined;
  const jumped = before !== undefined && lastWeek - before >= thresholds.lowConfidenceRisePoints;
  const mixMoved = distance >= thresholds.distance;
  return {
    kind: mixMoved || jumped ? "drifted" : "steady",
    answers,
    distance,
    mixMoved,
    grew,
    shrank,
    lowConfidence: { lastWeek, before, jumped },
  };
}

export interface DriftEmailContext {
  readonly classifierArn: string;
  readonly thresholds: DriftThresholds;
  readonly dashboardUrl: string;
  /** The project's docs folder, where the team reads it (docs_url). */
  readonly docsUrl: string;
}

const round = (value: number) => (Math.round(value * 10) / 10).toString();
const shiftLine = (s: LabelShift) =>
  `  "${s.label}": ${round(s.trainingShare)}% in training, ${round(s.recentShare)}% last week (${s.recentShare >= s.trainingShare ? "+" : ""}${round(s.recentShare - s.trainingShare)} points)`;

/** The email of a drifted week: what moved, by how much, against which bar, and what to do. */
export function driftEmail(
  assessment: WeekAssessed,
  context: DriftEmailContext,
): { subject: string; text: string } {
  const { thresholds } = context;
  const what = [
    assessment.mixMoved ? "the label mix moved" : "",
    assessment.lowConfidence.jumped ? "low-confidence answers jumped" : "",
  ].filter(Boolean);
  const low = assessment.lowConfidence;
  const lines = [
    `The tickets the API classified in the last 7 days (${assessment.answers} answers) no longer look like what the served model learned: ${what.join(" and ")}.`,
    `Model: ${context.classifierArn}`,
    "",
    `Label mix: Jensen-Shannon distance ${assessment.distance.toFixed(2)} from the training data (alert from ${thresholds.distance}; 0 is the same mix, 1 no label in common).`,
    ...(assessment.grew.length ? ["Grew:", ...assessment.grew.map(shiftLine)] : []),
    ...(assessment.shrank.length ? ["Shrank:", ...assessment.shrank.map(shiftLine)] : []),
    "",
    low.before === undefined
      ? `Low-confidence answers: ${round(low.lastWeek)}% last week (too few answers in the weeks before to compare).`
      : `Low-confidence answers: ${round(low.lastWeek)}% last week, ${round(low.before)}% in the four weeks before (alert from a rise of ${thresholds.lowConfidenceRisePoints} points).`,
    "",
    "What to do:",
    "- Look at the tickets behind it: the low-confidence answers are the ones a person should check first; the dashboard shows the label mix over time:",
    `  ${context.dashboardUrl}`,
    "- If the desk's work really changed (new products, new teams), retrain on a recent export: upload it under raw_data/ and, once trained, serve the new model (Retraining and rollback):",
    `  ${context.docsUrl}/${GUIDE_DOC}#retraining-and-rollback`,
    `More on what drift means and what to do: ${context.docsUrl}/${TROUBLESHOOTING_DOC}#the-tickets-drifted`,
    "- If a label's rise is a one-off (an outage, a campaign), nothing needs to change; the next check compares the next week.",
  ];
  const subject = `Tickets drifted from the model: ${what.join(" and ")}`;
  return { subject, text: lines.join("\n") };
}
