/**
 * Turns `terraform show -json` plans into the readable review a person (or a pull-request comment) needs:
 * how many resources each stack adds, changes, replaces and destroys, and which ones are destroyed.
 */
export type ChangeKind = "create" | "update" | "replace" | "delete" | "read" | "no-op";

export interface PlannedResource {
  readonly address: string;
  readonly type: string;
  readonly kind: ChangeKind;
}

export interface StackPlanSummary {
  readonly stack: string;
  readonly add: number;
  readonly change: number;
  readonly replace: number;
  readonly destroy: number;
  readonly resources: readonly PlannedResource[];
  readonly outputs: readonly string[];
}

interface PlanJson {
  resource_changes?: { address: string; type: string; mode: string; change: { actions: string[] } }[];
  planned_values?: { outputs?: Record<string, unknown> };
}

function kindOf(actions: readonly string[]): ChangeKind {
  if (actions.includes("create") && actions.includes("delete")) return "replace";
  const [only] = actions;
  if (only === "create" || only === "update" || only === "delete" || only === "read") return only;
  return "no-op";
}

export function summarizePlan(stack: string, plan: PlanJson): StackPlanSummary {
  const resources = (plan.resource_changes ?? [])
    .filter((change) => change.mode === "managed")
    .map((change) => ({ address: change.address, type: change.type, kind: kindOf(change.change.actions) }));
  const count = (kind: ChangeKind) => resources.filter((resource) => resource.kind === kind).length;
  return {
    stack,
    add: count("create"),
    change: count("update"),
    replace: count("replace"),
    destroy: count("delete"),
    resources,
    outputs: Object.keys(plan.planned_values?.outputs ?? {}).sort(),
  };
}

export function renderMarkdown(
  summaries: readonly StackPlanSummary[],
  heading = "Terraform plan review",
): string {
  const lines = [
    `## ${heading}`,
    "",
    "| stack | add | change | replace | destroy |",
    "| --- | ---: | ---: | ---: | ---: |",
  ];
  for (const s of summaries) {
    lines.push(`| ${s.stack} | ${s.add} | ${s.change} | ${s.replace} | ${s.destroy} |`);
  }
  for (const s of summaries) {
    const removed = s.resources.filter((r) => r.kind === "delete" || r.kind === "replace");
    if (removed.length > 0) {
      lines.push("", `> [!WARNING]`, `> **${s.stack}** destroys or replaces ${removed.length} resource(s):`);
      for (const r of removed) lines.push(`> - \`${r.address}\` (${r.kind})`);
    }
  }
  for (const s of summaries) {
    const byType = new Map<string, number>();
    for (const r of s.resources.filter((r) => r.kind !== "no-op" && r.kind !== "read")) {
      byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
    }
    lines.push("", `<details><summary>${s.stack}: ${s.resources.length} resource(s) in plan</summary>`, "");
    for (const [type, n] of [...byType].sort(([a], [b]) => a.localeCompare(b)))
      lines.push(`- ${type} × ${n}`);
    if (s.outputs.length > 0) lines.push("", `Outputs: ${s.outputs.map((o) => `\`${o}\``).join(", ")}`);
    lines.push("", "</details>");
  }
  return `${lines.join("\n")}\n`;
}

export function renderText(summary: StackPlanSummary): string {
  return `${summary.stack}: ${summary.add} to add, ${summary.change} to change, ${summary.replace} to replace, ${summary.destroy} to destroy`;
}
