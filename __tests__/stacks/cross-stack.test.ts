import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readBackendConfig } from "../../stacks/config";
import { DATA_OUTPUTS } from "../../stacks/data-stack";
import { NETWORK_OUTPUTS } from "../../stacks/network-stack";
import { dataOf, type StackJson, type SynthesizedApp, synthesizeApp } from "./synthesized";

const referencedOutputs = (stack: StackJson, remoteState: string): string[] => {
  const pattern = new RegExp(`data\\.terraform_remote_state\\.${remoteState}\\.outputs\\.([a-z0-9_]+)`, "g");
  return [
    ...new Set([...JSON.stringify(stack.resource).matchAll(pattern)].map((m) => m[1] as string)),
  ].sort();
};

describe("cross-stack wiring in cdktf.out", () => {
  let local: SynthesizedApp;

  beforeAll(() => {
    local = synthesizeApp();
  });

  it("deploys the data stack first and the others after the stacks whose outputs they read", () => {
    expect(local.manifest.stacks.data?.dependencies).toEqual([]);
    expect(local.manifest.stacks.network?.dependencies).toEqual(["data"]);
    expect(local.manifest.stacks.training?.dependencies).toEqual(["data", "network"]);
    // The endpoint serves a classifier by its ARN: the pipeline can go while the endpoint stays.
    expect(local.manifest.stacks.inference?.dependencies).toEqual(["data", "network"]);
  });

  it("reads the network stack's outputs from the network stack's own state file", () => {
    const network = local.stacks.network as StackJson;
    const training = local.stacks.training as StackJson;
    const remote = dataOf(training, "terraform_remote_state").find(([name]) => name === "network_state")?.[1];

    expect(remote).toMatchObject({
      backend: "local",
      config: { path: network.terraform.backend.local?.path },
    });
  });

  it("references only outputs the network stack declares, and the plan review stubs them all", () => {
    const network = local.stacks.network as StackJson;
    const used = referencedOutputs(local.stacks.training as StackJson, "network_state");
    const stubs = JSON.parse(
      readFileSync(join(__dirname, "..", "..", "review", "upstream-stubs.json"), "utf8"),
    );

    expect(used.length).toBeGreaterThanOrEqual(4);
    for (const output of used) expect(Object.keys(network.output)).toContain(output);
    expect(Object.keys(network.output).sort()).toEqual([...NETWORK_OUTPUTS].sort());
    expect(Object.keys(stubs.network).sort()).toEqual([...NETWORK_OUTPUTS].sort());
    expect(Object.keys(stubs.data).sort()).toEqual([...DATA_OUTPUTS].sort());
    expect(Object.keys((local.stacks.data as StackJson).output).sort()).toEqual([...DATA_OUTPUTS].sort());
  });

  it("keeps every stack's state in S3 with lock files when a state bucket is configured", () => {
    const backend = readBackendConfig({ TF_STATE_BUCKET: "team-state", TF_STATE_REGION: "eu-west-1" });
    const app = synthesizeApp(backend);

    for (const [name, stack] of Object.entries(app.stacks)) {
      expect(stack.terraform.backend.s3).toEqual({
        bucket: "team-state",
        key: `comprehend-itsr/${name}.tfstate`,
        region: "eu-west-1",
        encrypt: true,
        use_lockfile: true,
      });
    }
    const remote = dataOf(app.stacks.training as StackJson, "terraform_remote_state").find(
      ([name]) => name === "network_state",
    )?.[1];
    expect(remote).toMatchObject({
      backend: "s3",
      config: { bucket: "team-state", key: "comprehend-itsr/network.tfstate" },
    });
  });

  it("reads each upstream stack's outputs only after checking it is deployed", () => {
    for (const [name, stack] of Object.entries(local.stacks)) {
      for (const [remoteName, remote] of dataOf(stack, "terraform_remote_state")) {
        const upstream = remoteName.replace(/_state$/, "");
        expect({
          name,
          upstream,
          postcondition: (remote as { lifecycle?: { postcondition?: unknown[] } }).lifecycle?.postcondition,
        }).toEqual({
          name,
          upstream,
          postcondition: [
            {
              condition: "${length(keys(self.outputs)) > 0}",
              error_message: expect.stringContaining(`The ${upstream} stack is not deployed yet`),
            },
          ],
        });
      }
    }
  });

  it("refuses an S3 backend without a region", () => {
    expect(() => readBackendConfig({ TF_STATE_BUCKET: "team-state" })).toThrow("set TF_STATE_REGION");
  });
});
