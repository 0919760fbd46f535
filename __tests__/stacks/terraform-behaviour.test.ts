/**
 * What `npm run deploy` and `destroy` rely on in Terraform itself, shown by running the real terraform (offline:
 * init from the provider mirror, graph and plan need no account) rather than assumed.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resourcesOf, type SynthesizedApp, synthesizeApp } from "./synthesized";

const MIRROR_CONFIG = join(__dirname, "..", "..", "terraform", "offline.tfrc");
const pluginCache = join(tmpdir(), "recording-terraform-plugin-cache");

function terraform(args: string[], cwd: string) {
  const result = spawnSync("terraform", args, {
    cwd,
    encoding: "utf8",
    env: {
      ...process.env,
      CHECKPOINT_DISABLE: "1",
      TF_IN_AUTOMATION: "1",
      TF_PLUGIN_CACHE_DIR: pluginCache,
      ...(existsSync("/opt/tf-plugins") && { TF_CLI_CONFIG_FILE: MIRROR_CONFIG }),
    },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

let work: string;
let app: SynthesizedApp;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "terraform-behaviour-"));
  mkdirSync(pluginCache, { recursive: true });
  app = synthesizeApp();
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("Terraform, run for real", () => {
  it("refuses a command-line value for a variable the configuration does not declare, and only warns for a file", () => {
    // Prepare: a configuration with one variable, as each stack declares only its own.
    const dir = join(work, "undeclared");
    mkdirSync(dir);
    writeFileSync(join(dir, "main.tf.json"), JSON.stringify({ variable: { declared: { type: "string" } } }));
    writeFileSync(join(dir, "shared.tfvars"), 'declared = "a"\nnotification_email = "ops@example.org"\n');

    // Act
    const fromFlag = terraform(
      ["plan", "-input=false", "-no-color", "-var=declared=a", "-var=notification_email=ops@example.org"],
      dir,
    );
    const fromFile = terraform(["plan", "-input=false", "-no-color", "-var-file=shared.tfvars"], dir);

    // Assess: why `npm run deploy` passes each stack only the --var values it declares.
    expect(fromFlag.status).toBe(1);
    expect(fromFlag.stderr).toContain("Value for undeclared variable");
    expect(fromFile.status).toBe(0);
    expect(`${fromFile.stdout}${fromFile.stderr}`).toContain("Value for undeclared variable");
  });

  it("destroys the data bucket before the key that encrypts it: the bucket depends on the key", () => {
    // Prepare: the synthesized data stack with a local backend.
    const dir = join(work, "data");
    cpSync(join(app.outdir, "stacks", "data"), dir, { recursive: true });
    writeFileSync(
      join(dir, "zz_override.tf.json"),
      JSON.stringify({ terraform: { backend: { local: { path: "terraform.tfstate" } } } }),
    );
    expect(terraform(["init", "-input=false", "-no-color"], dir).status).toBe(0);
    const [bucket] = resourcesOf(app.stacks.data as never, "aws_s3_bucket")[0] as [string, unknown];
    const [key] = resourcesOf(app.stacks.data as never, "aws_kms_key")[0] as [string, unknown];

    // Act
    const graph = terraform(["graph"], dir);

    // Assess: Terraform destroys in the reverse order of dependencies ("The depends_on Meta-Argument",
    // Terraform language docs), so a path bucket -> key means the bucket goes first.
    expect(graph.status).toBe(0);
    const edges = [...graph.stdout.matchAll(/^\s*"([^"]+)" -> "([^"]+)";$/gm)].map((m) => [m[1], m[2]]);
    const reachable = new Set([`aws_s3_bucket.${bucket}`]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const [from, to] of edges) {
        if (reachable.has(from as string) && !reachable.has(to as string)) {
          reachable.add(to as string);
          grew = true;
        }
      }
    }
    expect(reachable).toContain(`aws_kms_key.${key}`);
  });
});
