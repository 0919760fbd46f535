import { synthesizeApp } from "../stacks/synthesized";
import { GUIDES as guides, readProjectFile as read } from "./guides";

const scripts = Object.keys(JSON.parse(read("package.json")).scripts);
const tfvarsExample = read("terraform.tfvars.example");

describe("the operator's guide", () => {
  it.each(guides)("names only npm scripts that exist (%s)", (guide) => {
    const named = [...read(guide).matchAll(/npm run (?:--silent )?([a-z][\w:-]*)/g)].map(
      (m) => m[1] as string,
    );

    expect(named.length).toBeGreaterThan(0);
    for (const script of named) expect(scripts).toContain(script);
  });

  it("opens the README's quick start with exactly the two set-up commands", () => {
    const quickStart = read("README.md").split("## Quick start")[1] ?? "";
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(quickStart)?.[1] ?? "";

    expect(firstBlock.trim().split("\n")).toEqual(["npm ci && npm run plan", "npm test"]);
  });

  it("reads only stack outputs that exist", () => {
    const app = synthesizeApp();
    const references = guides.flatMap((guide) => [
      ...read(guide).matchAll(/terraform -chdir=cdktf\.out\/stacks\/(\w+) output -raw (\w+)/g),
    ]);

    expect(references.length).toBeGreaterThan(0);
    for (const [, stack, output] of references) {
      expect(Object.keys(app.stacks[stack as string]?.output ?? {})).toContain(output);
    }
  });

  it("lists every variable of every stack in terraform.tfvars.example and the README", () => {
    const app = synthesizeApp();
    const readme = read("README.md");
    const variables = new Set(Object.values(app.stacks).flatMap((stack) => Object.keys(stack.variable)));

    expect(variables.size).toBeGreaterThan(20);
    for (const variable of variables) {
      // The classifier ARN is commented out: the training email's command sets it.
      expect(tfvarsExample).toMatch(new RegExp(`^(# )?${variable}\\s*=|^# ${variable} is left out`, "m"));
      expect(readme).toMatch(new RegExp(`\\|\\s*\`${variable}\`\\s*\\|`));
    }
  });
});
