/**
 * A fresh copy of the project, as a new user's clone with `cp terraform.tfvars.example terraform.tfvars`,
 * whose Terraform is the recording wrapper: commands run for real, apply and destroy are recorded.
 */
import { execFileSync, spawnSync } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const repoRoot = join(__dirname, "..", "..");
export const STACK_ORDER = ["data", "network", "training", "inference"] as const;
const OFFLINE_MIRROR = "/opt/tf-plugins";
const pluginCache = join(tmpdir(), "recording-terraform-plugin-cache");

export interface Recorded {
  readonly cwd: string;
  readonly stack: string;
  readonly verb: string;
  readonly args: string[];
  readonly varFiles?: { path: string; content: string | null }[];
  readonly vars?: string[];
  readonly approval?: "auto-approve" | "prompt";
  readonly targets?: string[];
}

export interface CommandRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export class ProjectCopy {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  private readonly logPath: string;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), "operator-path-"));
    const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], {
      cwd: repoRoot,
      encoding: "utf8",
    })
      .split("\0")
      .filter((file) => file && existsSync(join(repoRoot, file)));
    for (const file of files) {
      mkdirSync(dirname(join(this.dir, file)), { recursive: true });
      copyFileSync(join(repoRoot, file), join(this.dir, file));
    }
    symlinkSync(join(repoRoot, "node_modules"), join(this.dir, "node_modules"));
    // The project's own synth, when there is one (`npm run plan` leaves it): the copy's first command reuses it
    // if it was made from the same sources and settings, as a user's second command does, and synthesizes
    // otherwise. Terraform's working files stay behind.
    if (existsSync(join(repoRoot, "cdktf.out", "manifest.json"))) {
      cpSync(join(repoRoot, "cdktf.out"), join(this.dir, "cdktf.out"), {
        recursive: true,
        filter: (source) => !source.split("/").includes(".terraform"),
      });
    }
    this.logPath = join(this.dir, "recorded-terraform.jsonl");
    mkdirSync(pluginCache, { recursive: true });
    this.env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TERRAFORM_BINARY_NAME: join(this.dir, "__tests__", "operator", "recording-terraform.mjs"),
      RECORDING_TERRAFORM_LOG: this.logPath,
      ...(existsSync(OFFLINE_MIRROR) && {
        RECORDING_TERRAFORM_CLI_CONFIG: join(repoRoot, "terraform", "offline.tfrc"),
      }),
      TF_PLUGIN_CACHE_DIR: pluginCache,
      CHECKPOINT_DISABLE: "1",
      // cdktf's own check for a newer release needs the registry (README, "With cdktf's own commands").
      DISABLE_VERSION_CHECK: "true",
      CDKTF_DISABLE_PLUGIN_CACHE_ENV: "true",
      // cdktf asks nothing of a user whose answers it cannot read; no telemetry from tests.
      CI: "true",
      // A user's credentials, as `npm run deploy` checks for them first (never sent anywhere: Terraform records).
      AWS_ACCESS_KEY_ID: "AKIAOPERATORPATHTEST",
      AWS_SECRET_ACCESS_KEY: "operator-path-test-not-a-secret",
      // The credential chain must not ask the EC2 instance metadata service from a test.
      AWS_EC2_METADATA_DISABLED: "true",
      CHECKPOINT_TELEMETRY_DISABLE: "1",
    };
    this.reset();
  }

  /**
   * Back to a fresh clone after the README's first step: the example copied to terraform.tfvars with
   * notification_email set (the one line it says to edit), nothing deployed, nothing recorded.
   */
  reset(): void {
    writeFileSync(join(this.dir, "terraform.tfvars"), this.exampleWithEmail());
    for (const stack of STACK_ORDER) rmSync(join(this.dir, `terraform.${stack}.tfstate`), { force: true });
    rmSync(this.logPath, { force: true });
  }

  run(command: string, input = ""): CommandRun {
    const result = spawnSync("bash", ["-c", command], {
      cwd: this.dir,
      env: this.env,
      input,
      encoding: "utf8",
      timeout: 240_000,
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  /** The example as a user leaves it after setting their address (a reserved testing domain, RFC 6761). */
  exampleWithEmail(): string {
    return readFileSync(join(this.dir, "terraform.tfvars.example"), "utf8").replace(
      /^(notification_email\s*=\s*)"[^"]*"/m,
      '$1"ops@service-desk.test"',
    );
  }

  recorded(): Recorded[] {
    if (!existsSync(this.logPath)) return [];
    return readFileSync(this.logPath, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Recorded);
  }

  /** The stacks applied or destroyed since the last reset, in order. */
  changes(verb: "apply" | "destroy"): string[] {
    return this.recorded()
      .filter((entry) => entry.verb === verb)
      .map((entry) => entry.stack);
  }

  clearRecord(): void {
    rmSync(this.logPath, { force: true });
  }

  /** Marks stacks as deployed, the way the wrapper's recorded apply leaves their state. */
  seedDeployed(stacks: readonly string[]): void {
    if (stacks.length === 0) return;
    if (!existsSync(join(this.dir, "cdktf.out", "manifest.json"))) {
      const synth = this.run("npm run --silent synth");
      if (synth.status !== 0) throw new Error(`synth failed: ${synth.stderr}`);
    }
    for (const stack of stacks) {
      execFileSync(this.env.TERRAFORM_BINARY_NAME as string, ["apply", "-auto-approve"], {
        cwd: join(this.dir, "cdktf.out", "stacks", stack),
        env: { ...this.env, RECORDING_TERRAFORM_LOG: "" },
      });
    }
  }

  deployed(): string[] {
    return STACK_ORDER.filter((stack) => existsSync(join(this.dir, `terraform.${stack}.tfstate`)));
  }

  tfvars(): string {
    return readFileSync(join(this.dir, "terraform.tfvars"), "utf8");
  }

  writeTfvars(content: string): void {
    writeFileSync(join(this.dir, "terraform.tfvars"), content);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
