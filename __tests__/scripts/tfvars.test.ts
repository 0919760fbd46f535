import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureTfvars } from "../../scripts/tfvars";

describe("terraform.tfvars for CI", () => {
  const dir = () => mkdtempSync(join(tmpdir(), "tfvars-"));

  it("keeps the repository's own file untouched", () => {
    const path = join(dir(), "terraform.tfvars");
    writeFileSync(path, 'notification_email = "a@example.com"\n');

    expect(ensureTfvars(path, 'notification_email = "b@example.com"')).toBe("kept");
    expect(readFileSync(path, "utf8")).toContain("a@example.com");
  });

  it("writes the CI variable when the repository has no file", () => {
    const path = join(dir(), "terraform.tfvars");

    expect(ensureTfvars(path, 'notification_email = "b@example.com"')).toBe("written");
    expect(readFileSync(path, "utf8")).toBe('notification_email = "b@example.com"\n');
  });

  it("says what to do when there is neither", () => {
    expect(() => ensureTfvars(join(dir(), "terraform.tfvars"), "  ")).toThrow(
      "commit a terraform.tfvars or set TFVARS",
    );
  });
});
