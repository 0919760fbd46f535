/** Where the signed request goes: the API's URL and the region to sign for. */
import { UsageError } from "./args";

/** What to run when nothing is deployed yet; the ARN comes from the "Training finished" email. */
export const DEPLOY_INFERENCE_HINT = "npm run deploy -- inference --classifier-arn <ARN from the email>";

/** The original sample's resource path, served by the inference stack's REST API. */
export const RESOURCE_PATH = "/invokecomprehendV1";
export const URL_OUTPUT = "rest_api_invoke_url";

/** The inference stack's outputs as its Terraform state holds them, or undefined without a state. */
export type InferenceOutputs = () => Promise<Readonly<Record<string, unknown>> | undefined>;

/**
 * The invoke URL from the deployed inference stack's state (where `npm run deploy` keeps it: a local file or the
 * S3 backend), read directly: no synth, no `terraform init`, and a clear answer when nothing is deployed.
 */
export async function readDeployedUrl(outputs: InferenceOutputs, where: string): Promise<string> {
  const howToSkip = "or pass the API URL with --url";
  const state = await outputs();
  if (!state) {
    throw new UsageError(
      `The inference stack is not deployed (no state in ${where}), so there is no API to call yet. Deploy it with "${DEPLOY_INFERENCE_HINT}", ${howToSkip}.`,
    );
  }
  const url = state[URL_OUTPUT];
  if (typeof url !== "string" || url.trim() === "") {
    throw new UsageError(
      `The inference stack's state has no output ${URL_OUTPUT}; deploy it again with "npm run deploy -- inference", ${howToSkip}.`,
    );
  }
  return url.trim();
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
