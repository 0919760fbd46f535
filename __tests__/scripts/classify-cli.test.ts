import { parseCliArgs, resolveText, UsageError } from "../../scripts/classify/args";
import { interpretResponse } from "../../scripts/classify/response";
import { methodUrl, readDeployedUrl, resolveRegion } from "../../scripts/classify/target";

describe("parseCliArgs", () => {
  it("reads the options and joins unquoted words into one text", () => {
    // Act
    const options = parseCliArgs(["--url", "https://x", "--region", "eu-west-1", "laptop", "won't", "boot"]);

    // Assess
    expect(options).toEqual({
      url: "https://x",
      region: "eu-west-1",
      file: undefined,
      text: "laptop won't boot",
      help: false,
    });
  });

  it.each([
    [["--file", "a.txt", "also text"], "either as an argument or with --file, not both"],
    [["--colour", "red"], "Unknown option '--colour'"],
    [["--url", " "], "--url needs a value"],
  ])("rejects %j", (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(UsageError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });
});

describe("resolveText", () => {
  const sources = (stdin: string | null, file = "file text") => ({
    readFile: async () => file,
    readStdin: async () => stdin,
  });

  it("prefers the argument, then --file, then standard input", async () => {
    await expect(resolveText({ text: "arg", help: false }, sources("stdin"))).resolves.toBe("arg");
    await expect(resolveText({ file: "f.txt", help: false }, sources("stdin"))).resolves.toBe("file text");
    await expect(resolveText({ help: false }, sources("stdin"))).resolves.toBe("stdin");
  });

  it("shows the usage when there is no text anywhere", async () => {
    await expect(resolveText({ help: false }, sources(null))).rejects.toThrow(
      /No text to classify.*\n\nUsage:/s,
    );
  });

  it("names the empty source", async () => {
    await expect(resolveText({ file: "empty.txt", help: false }, sources(null, " \n"))).rejects.toThrow(
      "File empty.txt is empty; nothing to classify",
    );
  });

  it("names the file it cannot read", async () => {
    // Prepare
    const failing = {
      readFile: async () => {
        throw new Error("ENOENT: no such file or directory");
      },
      readStdin: async () => null,
    };

    // Act / Assess
    await expect(resolveText({ file: "missing.txt", help: false }, failing)).rejects.toThrow(
      "Cannot read missing.txt: ENOENT",
    );
  });
});

describe("methodUrl", () => {
  it("appends the API's resource path to a stage URL", () => {
    expect(methodUrl("https://a1b2c3.execute-api.us-east-1.amazonaws.com/prod/").href).toBe(
      "https://a1b2c3.execute-api.us-east-1.amazonaws.com/prod/invokecomprehendV1",
    );
  });

  it("keeps a full method URL as it is", () => {
    expect(
      methodUrl("https://a1b2c3.execute-api.us-east-1.amazonaws.com/prod/invokecomprehendV1").pathname,
    ).toBe("/prod/invokecomprehendV1");
  });

  it("rejects text that is not an http(s) URL", () => {
    expect(() => methodUrl("a1b2c3.execute-api")).toThrow("Not a URL");
    expect(() => methodUrl("ftp://host/prod")).toThrow("must start with https://");
  });
});

describe("resolveRegion", () => {
  const url = new URL("https://a1b2c3.execute-api.ap-southeast-2.amazonaws.com/prod");

  it("prefers --region, then AWS_REGION, then AWS_DEFAULT_REGION, then the URL's host", () => {
    expect(resolveRegion("eu-west-1", { AWS_REGION: "us-east-1" }, url)).toBe("eu-west-1");
    expect(resolveRegion(undefined, { AWS_REGION: "us-east-1", AWS_DEFAULT_REGION: "us-west-2" }, url)).toBe(
      "us-east-1",
    );
    expect(resolveRegion(undefined, { AWS_DEFAULT_REGION: "us-west-2" }, url)).toBe("us-west-2");
    expect(resolveRegion(undefined, {}, url)).toBe("ap-southeast-2");
  });

  it("asks for --region when nothing says which region a custom domain is in", () => {
    expect(() => resolveRegion(undefined, {}, new URL("https://classify.example.com/prod"))).toThrow(
      "Cannot tell which region classify.example.com is in; pass --region or set AWS_REGION",
    );
  });
});

describe("readDeployedUrl", () => {
  it("says the inference stack is not deployed, and how to deploy it or do without, instead of a Terraform error", async () => {
    const read = readDeployedUrl(async () => undefined, "local state files in /project");

    await expect(read).rejects.toThrow(
      'The inference stack is not deployed (no state in local state files in /project), so there is no API to call yet. Deploy it with "npm run deploy -- inference --classifier-arn <ARN from the email>", or pass the API URL with --url.',
    );
  });

  it("returns the trimmed output", async () => {
    expect(
      await readDeployedUrl(async () => ({ rest_api_invoke_url: "https://x.example/prod\n" }), "state"),
    ).toBe("https://x.example/prod");
  });
});

describe("interpretResponse", () => {
  it.each([
    ["Missing Authentication Token", /no such resource or method; check the URL/],
    ["The security token included in the request is expired", /credentials are expired or invalid/],
  ])("tells apart API Gateway's 403 '%s'", (message, expected) => {
    // Act
    const outcome = interpretResponse({ status: 403, headers: {}, body: JSON.stringify({ message }) });

    // Assess
    expect(outcome.exitCode).toBe(1);
    expect(outcome.stderr).toMatch(expected);
  });

  it("reports a 503 without Retry-After as retry later", () => {
    expect(interpretResponse({ status: 503, headers: {}, body: "" }).stderr).toMatch(
      /retry later\. API said: \(empty body\)/,
    );
  });

  it("treats a 200 that is not JSON as an error", () => {
    expect(interpretResponse({ status: 200, headers: {}, body: "<html>" }).exitCode).toBe(1);
  });
});
