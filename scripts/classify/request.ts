/** Builds, signs (SigV4 for execute-api) and sends the classification request. */
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import type { AwsCredentialIdentity } from "@smithy/types";

export const SIGNING_SERVICE = "execute-api";

export interface SignInput {
  url: URL;
  region: string;
  text: string;
  credentials: AwsCredentialIdentity;
  /** Fixed in tests so the signature is reproducible; the current time otherwise. */
  signingDate?: Date;
}

export async function signClassifyRequest(input: SignInput): Promise<HttpRequest> {
  const { url } = input;
  const body = JSON.stringify({ Text: input.text });
  const unsigned = new HttpRequest({
    method: "POST",
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: {
      // Signed as sent: API Gateway checks the Host header, including a non-default port.
      host: url.host,
      "content-type": "application/json",
      accept: "application/json",
      "content-length": String(Buffer.byteLength(body)),
    },
    body,
  });
  const signer = new SignatureV4({
    service: SIGNING_SERVICE,
    region: input.region,
    credentials: input.credentials,
    sha256: Sha256,
  });
  return signer.sign(
    unsigned,
    input.signingDate ? { signingDate: input.signingDate } : {},
  ) as Promise<HttpRequest>;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The request never got an HTTP answer (DNS, refused connection, TLS, timeout). */
export class NetworkError extends Error {
  override readonly name = "NetworkError";
}

export function sendRequest(request: HttpRequest, timeoutMs = 35_000): Promise<HttpAnswer> {
  const send = request.protocol === "http:" ? httpRequest : httpsRequest;
  const query = new URLSearchParams(request.query as Record<string, string>).toString();
  const target = `${request.protocol}//${request.headers.host}${request.path}`;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        method: request.method,
        hostname: request.hostname,
        port: request.port,
        path: query ? `${request.path}?${query}` : request.path,
        headers: request.headers,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
          }
          resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString("utf8") });
        });
        res.on("error", (error) => reject(networkError(target, error)));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)));
    req.on("error", (error) => reject(networkError(target, error)));
    req.end(request.body);
  });
}

function networkError(target: string, error: Error): NetworkError {
  const code = (error as NodeJS.ErrnoException).code;
  return new NetworkError(`Could not reach ${target}: ${code ? `${code} ` : ""}${error.message}`, {
    cause: error,
  });
}
