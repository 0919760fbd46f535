import type { App } from "cdktf";
import type { StateBackendConfig } from "./config";
import { InferenceStack } from "./inference-stack";
import { NetworkStack } from "./network-stack";
import { TrainingStack } from "./training-stack";

export interface ComposedStacks {
  readonly network: NetworkStack;
  readonly training: TrainingStack;
  readonly inference: InferenceStack;
}

/**
 * The app's stacks, one Terraform state each, split by lifecycle. They share nothing but upstream outputs read
 * through terraform_remote_state; the dependencies keep `cdktf deploy` in order.
 */
export function composeStacks(app: App, backend: StateBackendConfig): ComposedStacks {
  const network = new NetworkStack(app, { backend });
  const training = new TrainingStack(app, { backend });
  training.addDependency(network);
  const inference = new InferenceStack(app, { backend });
  inference.addDependency(network);
  inference.addDependency(training);
  return { network, training, inference };
}
