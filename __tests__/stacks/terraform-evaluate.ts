import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Outputs of a configuration without resources, computed by the real terraform (apply needs no provider). */
export function evaluateWithTerraform(
  config: object,
  values: Record<string, unknown>,
): Record<string, unknown> {
  const dir = mkdtempSync(join(tmpdir(), "terraform-evaluate-"));
  try {
    writeFileSync(join(dir, "main.tf.json"), JSON.stringify(config));
    writeFileSync(join(dir, "values.tfvars.json"), JSON.stringify(values));
    const run = (args: string[]) =>
      spawnSync("terraform", args, {
        cwd: dir,
        encoding: "utf8",
        env: { ...process.env, CHECKPOINT_DISABLE: "1" },
      });
    const applied = run([
      "apply",
      "-auto-approve",
      "-input=false",
      "-no-color",
      "-var-file=values.tfvars.json",
    ]);
    if (applied.status !== 0) throw new Error(applied.stderr);
    const outputs = JSON.parse(run(["output", "-json"]).stdout) as Record<string, { value: unknown }>;
    return Object.fromEntries(Object.entries(outputs).map(([name, output]) => [name, output.value]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
