/** Where the signed request goes: the API's URL and the region to sign for. */
import { terraformBinary, terraformErrors } from "../lib/terraform";
import { UsageError } from "./args";

/** What to run when nothing is deployed yet; the ARN comes from the "Training finished" email. */
export const DEPLOY_INFERENCE_HINT = "npm run deploy -- inference --classifier-arn <ARN from the email>";

/** The original sample's resource path, served by the inference stack's REST API. */
export const RESOURCE_PATH = "/invokecomprehendV1";
export const STACK_DIR = "cdktf.out/stacks/inference";
export const URL_OUTPUT = "rest_api_invoke_url";

export interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Set when the command could not be started at all (e.g. ENOENT). */
  error?: Error | undefined;
}

export type RunCommand = (command: string, args: readonly string[]) => CommandResult;

/** Reads the invoke URL from the deployed inference stack's Terraform outputs. */
export function readDeployedUrl(run: RunCommand): string {
  const args = [`-chdir=${STACK_DIR}`, "output", "-no-color", "-raw", URL_OUTPUT];
  const result = run(terraformBinary(), args);
  const howToSkip = "or pass the API URL with --url";
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === "ENOENT";
    throw new UsageError(
      missing
        ? `terraform is not on PATH, so the API URL cannot be read from the inference stack; install it ${howToSkip}`
        : `Running terraform ${args.join(" ")} failed: ${result.error.message}; ${howToSkip}`,
      { cause: result.error },
    );
  }
  const url = result.stdout.trim();
  if (result.status !== 0 || url === "") {
    const detail = terraformErrors(result.stderr);
    throw new UsageError(
      `Could not read output ${URL_OUTPUT} from ${STACK_DIR}: is the inference stack deployed? Deploy it with ` +
        `"${DEPLOY_INFERENCE_HINT}" ${howToSkip}.${detail ? ` terraform said: ${detail}` : ""}`,
    );
  }
  return url;
}

/** Accepts the stage URL or the full method URL and returns the method URL. */
export function methodUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch (error) {
    throw new UsageError(`Not a URL: ${JSON.stringify(raw)}`, { cause: error });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new UsageError(`The API URL must start with https://, got ${raw}`);
  }
  const path = url.pathname.replace(/\/+$/, "");
  url.pathname = path.endsWith(RESOURCE_PATH) ? path : `${path}${RESOURCE_PATH}`;
  return url;
}

const EXECUTE_API_HOST = /^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;

/** The region in an execute-api host name, if the URL is one (not a custom domain or a local server). */
export function regionOfHost(url: URL): string | undefined {
  return EXECUTE_API_HOST.exec(url.hostname)?.[1];
}

export function resolveRegion(explicit: string | undefined, env: NodeJS.ProcessEnv, url: URL): string {
  const region = explicit ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? regionOfHost(url);
  if (!region?.trim()) {
    throw new UsageError(`Cannot tell which region ${url.hostname} is in; pass --region or set AWS_REGION`);
  }
  return region.trim();
}
