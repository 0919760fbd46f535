/** The evaluation page's verdict: pure, so that each case is tested without drawing a page. */
import type { Evaluation } from "./evaluate";

const percent = (value: number) => `${(value * 100).toFixed(1)}%`;

/** What a service-desk lead should do with these figures, in one sentence and its reason. */
export function verdictOf(evaluation: Evaluation): { verdict: string; reason: string } {
  const m = evaluation.metrics;
  const weak = [...m.labels].filter((l) => l.f1 < 0.5).sort((a, b) => a.f1 - b.f1);
  const confused = evaluation.mostConfused[0];
  if (m.macroF1 >= 0.8 && weak.length === 0) {
    return {
      verdict: "Good enough to train.",
      reason: `The labels can be told apart: macro-F1 ${percent(m.macroF1)}, and no label under 50%.`,
    };
  }
  if (m.macroF1 >= 0.5) {
    return {
      verdict: weak.length > 0 ? "Train, but look at the weakest labels first." : "Good enough to train.",
      reason:
        weak.length > 0
          ? `Macro-F1 is ${percent(m.macroF1)}, but ${weak.map((l) => `${l.label} (${percent(l.f1)})`).join(", ")} ${weak.length === 1 ? "is" : "are"} mostly missed${confused ? `; ${confused.actual} is most often taken for ${confused.predicted}` : ""}: merge labels that mean the same, or give them clearer tickets.`
          : `Macro-F1 is ${percent(m.macroF1)} with every label at 50% or more; Comprehend usually does as well or better.`,
    };
  }
  return {
    verdict: "Fix these labels first.",
    reason: `Macro-F1 is ${percent(m.macroF1)}: most labels cannot be told apart from their tickets' words${confused ? ` (${confused.actual} is most often taken for ${confused.predicted})` : ""}. Training would cost hours for a model that misroutes most tickets; merge or rename overlapping labels, or check that the text columns hold the ticket's words.`,
  };
}
