/**
 * Carries out one Terraform lifecycle action on a Comprehend document-classifier endpoint and reports the
 * endpoint as the invocation's result. Every action reconciles with what Comprehend reports rather than with
 * what Terraform last recorded, so a retried or repeated invocation converges instead of failing.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "@aws-lambda-powertools/logger";
import {
  type ComprehendClient,
  CreateEndpointCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateEndpointCommand,
} from "@aws-sdk/client-comprehend";
import {
  type ActiveHours,
  activeWindow,
  describeActiveHours,
  formatLocal,
} from "../../contract/active-hours";
import {
  type EndpointSpec,
  endpointArnFor,
  hasConverged,
  type LifecycleRequest,
  type ObservedEndpoint,
  planTags,
  planUpdate,
} from "./spec";

export interface EndpointResult {
  endpoint_arn: string;
  endpoint_name: string;
  status: string;
  model_arn: string;
  desired_inference_units: number;
  /** Outside the active hours: when the resume schedule brings the endpoint back. */
  paused_until?: string;
}

export interface DeleteResult {
  endpoint_arn: string;
  endpoint_name: string;
  /** DELETED once Comprehend no longer knows it, DELETING if time ran out first, NOT_FOUND if it was already gone. */
  status: "DELETED" | "DELETING" | "NOT_FOUND";
}

type LogSink = Pick<Logger, "info" | "warn">;

export interface LifecycleDeps {
  comprehend: ComprehendClient;
  logger: LogSink;
  /** Epoch milliseconds after which the function must stop waiting and answer. */
  deadline: number;
  pollIntervalMs: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** CreateEndpoint's idempotency token; a fresh one per call by default. */
  newToken?: () => string;
  /** endpoint_active_hours: outside them there is no endpoint, whatever Terraform asks. */
  activeHours?: ActiveHours | undefined;
}

/** Comprehend reports the endpoint FAILED, or an update that did not take; carries Comprehend's own words. */
export class EndpointFailedError extends Error {
  override readonly name = "EndpointFailedError";
}

/** The endpoint is still changing when the Lambda must answer; Comprehend carries on without us. */
export class EndpointNotReadyError extends Error {
  override readonly name = "EndpointNotReadyError";
}

/** A Comprehend call failed for a reason this function cannot resolve (permissions, limits, a bad model). */
export class ComprehendCallError extends Error {
  override readonly name = "ComprehendCallError";
}

const BUSY = new Set(["CREATING", "UPDATING"]);

export async function runLifecycle(
  request: LifecycleRequest,
  deps: LifecycleDeps,
): Promise<EndpointResult | DeleteResult> {
  const ops = new EndpointOperations(deps);
  const { action, desired, previous } = request;
  const window = deps.activeHours && activeWindow(new Date((deps.now ?? Date.now)()), deps.activeHours);
  if (deps.activeHours && window && !window.active && (action === "create" || action === "update")) {
    // A deploy outside the active hours: the resume schedule, whose input this same apply updated, creates the
    // endpoint with this configuration at the next start. Terraform records the input as usual, so the next
    // plan sees no change either way.
    if (previous && endpointArnFor(previous) !== endpointArnFor(desired)) {
      await ops.delete(previous, { waitUntilGone: false });
    }
    await ops.delete(desired, { waitUntilGone: false });
    deps.logger.info("outside the active hours: no endpoint until the next start", {
      active_hours: describeActiveHours(deps.activeHours),
      paused_until: window.nextStart.toISOString(),
    });
    return {
      endpoint_arn: endpointArnFor(desired),
      endpoint_name: desired.endpointName,
      status: "PAUSED",
      model_arn: desired.modelArn,
      desired_inference_units: desired.desiredInferenceUnits,
      paused_until: formatLocal(window.nextStart, deps.activeHours.time_zone),
    };
  }
  switch (action) {
    case "pause":
      // The end of the active hours: Comprehend stops billing once the endpoint is gone.
      return ops.delete(desired, { waitUntilGone: false });
    case "resume":
      // The start: creation takes minutes, meanwhile the API answers 503 with Retry-After; no waiting here.
      return ops.startCreation(desired);
    case "create":
      return ops.createOrAdopt(desired);
    case "update": {
      if (previous && endpointArnFor(previous) !== endpointArnFor(desired)) {
        // A renamed endpoint is a new resource: serve from the new one before the old one goes away.
        const result = await ops.createOrAdopt(desired);
        await ops.delete(previous, { waitUntilGone: false, replacedBy: result.endpoint_arn });
        return result;
      }
      return ops.reconcile(desired, previous?.tags ?? null);
    }
    case "delete":
      return ops.delete(desired, { waitUntilGone: true });
  }
}

/**
 * The one thing to do when an invocation runs out of Lambda's 15 minutes before Comprehend is done. Creation:
 * the provider saves nothing for a failed create, so the next apply invokes create again, which adopts the
 * endpoint by name and waits. Update: the provider has already saved the new input (hashicorp/
 * terraform-provider-aws#43447), so another apply would do nothing; Comprehend completes the update alone.
 */
export const RECOVERY = {
  create: (arn: string) =>
    `Comprehend carries on creating it (it can take longer than 15 minutes). Run "npm run deploy -- inference" again: it adopts this endpoint and waits for it; "npm run status" shows its progress (or aws comprehend describe-endpoint --endpoint-arn ${arn}).`,
  update: (arn: string) =>
    `Comprehend carries on with the update by itself; follow it with "npm run status" (or aws comprehend describe-endpoint --endpoint-arn ${arn}). Terraform has already recorded the new configuration (hashicorp/terraform-provider-aws#43447), so applying again changes nothing: once the endpoint is IN_SERVICE with the new model and units there is nothing left to do. If it ends FAILED or back on the old model, follow docs/troubleshooting.md, "A failed endpoint update is still saved to state".`,
} as const;

class EndpointOperations {
  private readonly comprehend: ComprehendClient;
  private readonly logger: LogSink;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly newToken: () => string;

  constructor(private readonly deps: LifecycleDeps) {
    this.comprehend = deps.comprehend;
    this.logger = deps.logger;
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.newToken = deps.newToken ?? randomUUID;
  }

  /** What an invocation that runs out of time tells the operator to do; depends on what it was doing. */
  private recovery: (arn: string) => string = RECOVERY.create;

  async createOrAdopt(spec: EndpointSpec): Promise<EndpointResult> {
    this.recovery = RECOVERY.create;
    const arn = endpointArnFor(spec);
    const created = await this.create(spec, arn);
    // CreateEndpoint already tagged a new endpoint; an adopted one gets its tags written in full.
    return this.converge(spec, arn, created ? spec.tags : null);
  }

  /** Requests the endpoint unless it exists; returns at once (the resume schedule does not wait for it). */
  async startCreation(spec: EndpointSpec): Promise<EndpointResult> {
    const arn = endpointArnFor(spec);
    const observed = await this.describe(arn);
    const created = observed === null && (await this.create(spec, arn));
    return {
      endpoint_arn: arn,
      endpoint_name: spec.endpointName,
      status: created ? "CREATING" : (observed?.status ?? "CREATING"),
      model_arn: observed?.modelArn ?? spec.modelArn,
      desired_inference_units: observed?.desiredInferenceUnits ?? spec.desiredInferenceUnits,
    };
  }

  /** Brings an existing endpoint to the spec; `previousTags` null means the tags were never applied by us. */
  async reconcile(spec: EndpointSpec, previousTags: Record<string, string> | null): Promise<EndpointResult> {
    this.recovery = RECOVERY.update;
    return this.converge(spec, endpointArnFor(spec), previousTags);
  }

  async delete(
    spec: EndpointSpec,
    options: { waitUntilGone: boolean; replacedBy?: string },
  ): Promise<DeleteResult> {
    const arn = endpointArnFor(spec);
    const answer = (status: DeleteResult["status"]): DeleteResult => ({
      endpoint_arn: arn,
      endpoint_name: spec.endpointName,
      status,
    });
    const context = options.replacedBy
      ? `; the replacement ${options.replacedBy} is IN_SERVICE, delete the old endpoint with "aws comprehend delete-endpoint --endpoint-arn ${arn}"`
      : "";

    if (!(await this.requestDeletion(arn, context))) {
      this.logger.info("endpoint already gone", { endpoint_arn: arn });
      return answer("NOT_FOUND");
    }
    this.logger.info("endpoint deletion requested", { endpoint_arn: arn });
    if (!options.waitUntilGone) return answer("DELETING");

    // Waiting lets a following destroy of the training stack delete the classifier, which Comprehend refuses
    // while an endpoint still uses it.
    while (true) {
      const observed = await this.describe(arn);
      if (observed === null) return answer("DELETED");
      if (!this.canWait()) {
        this.logger.warn("endpoint still deleting when time ran out; Comprehend completes it", {
          endpoint_arn: arn,
        });
        return answer("DELETING");
      }
      await this.sleep(this.deps.pollIntervalMs);
    }
  }

  /** Returns false when there was nothing to delete. */
  private async requestDeletion(arn: string, context: string): Promise<boolean> {
    try {
      await this.comprehend.send(new DeleteEndpointCommand({ EndpointArn: arn }));
      return true;
    } catch (error) {
      if (errorName(error) === "ResourceNotFoundException") return false;
      // Comprehend refuses to delete an endpoint that is still creating or updating: let that finish first.
      if (errorName(error) !== "ResourceInUseException")
        throw this.callError("DeleteEndpoint", arn, error, context);
    }
    this.logger.info("endpoint busy; waiting before deleting it", { endpoint_arn: arn });
    const observed = await this.settle(arn, "delete it");
    if (observed === null) return false;
    if (observed.status === "DELETING") return true;
    try {
      await this.comprehend.send(new DeleteEndpointCommand({ EndpointArn: arn }));
      return true;
    } catch (error) {
      if (errorName(error) === "ResourceNotFoundException") return false;
      throw this.callError("DeleteEndpoint", arn, error, context);
    }
  }

  /**
   * Returns true if CreateEndpoint started a new endpoint, false if one with this name already existed.
   *
   * Each call gets a fresh token: the SDK's retries of the call reuse it, and a retried invocation is caught by
   * the endpoint's name (ResourceInUseException, adopted below). A token derived from name and model would make
   * Comprehend replay the first creation when an endpoint is destroyed and created again, creating nothing.
   */
  private async create(spec: EndpointSpec, arn: string): Promise<boolean> {
    try {
      await this.comprehend.send(
        new CreateEndpointCommand({
          EndpointName: spec.endpointName,
          ModelArn: spec.modelArn,
          DesiredInferenceUnits: spec.desiredInferenceUnits,
          ClientRequestToken: this.newToken(),
          DataAccessRoleArn: spec.dataAccessRoleArn,
          Tags: Object.entries(spec.tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
      this.logger.info("endpoint creation requested", {
        endpoint_arn: arn,
        model_arn: spec.modelArn,
        desired_inference_units: spec.desiredInferenceUnits,
      });
      return true;
    } catch (error) {
      if (errorName(error) !== "ResourceInUseException") throw this.callError("CreateEndpoint", arn, error);
      // A retried apply: the endpoint from the earlier attempt exists, so adopt it rather than fail.
      this.logger.info("endpoint already exists; adopting it", { endpoint_arn: arn });
      return false;
    }
  }

  private async converge(
    spec: EndpointSpec,
    arn: string,
    previousTags: Record<string, string> | null,
    recreated = false,
  ): Promise<EndpointResult> {
    let observed = await this.settle(arn, "finish");

    if (observed === null || observed.status === "DELETING") {
      if (recreated) {
        throw new EndpointFailedError(
          `Endpoint ${arn} disappeared right after CreateEndpoint; run "npm run deploy -- inference" again`,
        );
      }
      if (observed !== null) await this.waitUntilGone(arn);
      this.logger.warn("endpoint missing; creating it", { endpoint_arn: arn });
      const created = await this.create(spec, arn);
      return this.converge(spec, arn, created ? spec.tags : null, true);
    }

    if (observed.status === "FAILED") {
      throw new EndpointFailedError(
        `Endpoint ${arn} is FAILED: ${observed.message ?? "Comprehend gave no reason"}. ` +
          `Delete it with "aws comprehend delete-endpoint --endpoint-arn ${arn}", fix the cause and run "npm run deploy -- inference" again.`,
      );
    }

    const change = planUpdate(observed, spec);
    if (change) {
      try {
        await this.comprehend.send(new UpdateEndpointCommand({ EndpointArn: arn, ...change }));
      } catch (error) {
        throw this.callError("UpdateEndpoint", arn, error);
      }
      this.logger.info("endpoint update requested", { endpoint_arn: arn, ...change });
      observed = await this.awaitUpdate(arn, spec);
    } else {
      this.logger.info("endpoint already has the desired model and units", { endpoint_arn: arn });
    }

    await this.applyTags(arn, previousTags, spec.tags);
    return {
      endpoint_arn: arn,
      endpoint_name: spec.endpointName,
      status: observed.status,
      model_arn: observed.modelArn ?? spec.modelArn,
      desired_inference_units: observed.desiredInferenceUnits ?? spec.desiredInferenceUnits,
    };
  }

  /** Polls while the endpoint is CREATING or UPDATING; null when Comprehend does not know it. */
  private async settle(arn: string, purpose: string): Promise<ObservedEndpoint | null> {
    while (true) {
      const observed = await this.describe(arn);
      if (observed === null || !BUSY.has(observed.status)) return observed;
      this.waitOrGiveUp(arn, observed, purpose);
      await this.sleep(this.deps.pollIntervalMs);
    }
  }

  private async awaitUpdate(arn: string, spec: EndpointSpec): Promise<ObservedEndpoint> {
    let sawUpdating = false;
    while (true) {
      const observed = await this.describe(arn);
      if (observed === null) throw new EndpointFailedError(`Endpoint ${arn} disappeared while updating`);
      if (observed.status === "FAILED") {
        throw new EndpointFailedError(
          `Updating endpoint ${arn} FAILED: ${observed.message ?? "Comprehend gave no reason"}`,
        );
      }
      if (hasConverged(observed, spec)) return observed;
      if (BUSY.has(observed.status)) sawUpdating = true;
      else if (sawUpdating && observed.status === "IN_SERVICE") {
        // Back in service without the requested configuration: Comprehend rolled the update back.
        throw new EndpointFailedError(
          `Endpoint ${arn} returned to IN_SERVICE without the requested model, units or role: ${observed.message ?? "Comprehend gave no reason"}`,
        );
      }
      this.waitOrGiveUp(arn, observed, "finish the update");
      await this.sleep(this.deps.pollIntervalMs);
    }
  }

  private async waitUntilGone(arn: string): Promise<void> {
    this.logger.info("waiting for the earlier endpoint with this name to finish deleting", {
      endpoint_arn: arn,
    });
    while (true) {
      const observed = await this.describe(arn);
      if (observed === null) return;
      this.waitOrGiveUp(arn, observed, "finish deleting the earlier endpoint with this name");
      await this.sleep(this.deps.pollIntervalMs);
    }
  }

  private waitOrGiveUp(arn: string, observed: ObservedEndpoint, purpose: string): void {
    if (this.canWait()) return;
    throw new EndpointNotReadyError(
      `Endpoint ${arn} is still ${observed.status} and this invocation is out of time waiting for it to ${purpose}. ${this.recovery(arn)}`,
    );
  }

  private canWait(): boolean {
    return this.now() + this.deps.pollIntervalMs < this.deps.deadline;
  }

  private async describe(arn: string): Promise<ObservedEndpoint | null> {
    try {
      const { EndpointProperties: p } = await this.comprehend.send(
        new DescribeEndpointCommand({ EndpointArn: arn }),
      );
      return {
        status: p?.Status ?? "UNKNOWN",
        message: p?.Message,
        modelArn: p?.ModelArn,
        desiredModelArn: p?.DesiredModelArn,
        desiredInferenceUnits: p?.DesiredInferenceUnits,
        currentInferenceUnits: p?.CurrentInferenceUnits,
        dataAccessRoleArn: p?.DataAccessRoleArn,
        desiredDataAccessRoleArn: p?.DesiredDataAccessRoleArn,
      };
    } catch (error) {
      if (errorName(error) === "ResourceNotFoundException") return null;
      throw this.callError("DescribeEndpoint", arn, error);
    }
  }

  private async applyTags(
    arn: string,
    previousTags: Record<string, string> | null,
    desiredTags: Record<string, string>,
  ): Promise<void> {
    const { set, remove } = planTags(previousTags ?? {}, desiredTags);
    // Tags we never applied (an adopted endpoint) are written in full, since Terraform cannot tell what is there.
    const toSet = previousTags === null ? desiredTags : set;
    try {
      if (Object.keys(toSet).length > 0) {
        await this.comprehend.send(
          new TagResourceCommand({
            ResourceArn: arn,
            Tags: Object.entries(toSet).map(([Key, Value]) => ({ Key, Value })),
          }),
        );
      }
      if (remove.length > 0) {
        await this.comprehend.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: remove }));
      }
    } catch (error) {
      throw this.callError("TagResource/UntagResource", arn, error);
    }
  }

  private callError(operation: string, arn: string, error: unknown, context = ""): ComprehendCallError {
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return new ComprehendCallError(`${operation} for ${arn} failed: ${detail}${context}`, { cause: error });
  }
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : "";
}
