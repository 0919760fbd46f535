import type { App } from "cdktf";
import type { StateBackendConfig } from "./config";
import { DataStack } from "./data-stack";
import { InferenceStack } from "./inference-stack";
import { NetworkStack } from "./network-stack";
import { TrainingStack } from "./training-stack";

export interface ComposedStacks {
  readonly data: DataStack;
  readonly network: NetworkStack;
  readonly training: TrainingStack;
  readonly inference: InferenceStack;
}

/**
 * The app's stacks, one Terraform state each, split by lifecycle: data (bucket and key, kept longest), network,
 * training, inference (destroyed first, to stop the endpoint's charges). They share nothing but upstream outputs read
 * through terraform_remote_state; the dependencies keep `cdktf deploy` in order.
 */
export function composeStacks(app: App, backend: StateBackendConfig): ComposedStacks {
  const data = new DataStack(app, { backend });
  const network = new NetworkStack(app, { backend });
  network.addDependency(data);
  const training = new TrainingStack(app, { backend });
  training.addDependency(data);
  training.addDependency(network);
  const inference = new InferenceStack(app, { backend });
  // The endpoint serves a classifier by its ARN and reads only the key and the network: the pipeline can be
  // torn down while the endpoint keeps serving.
  inference.addDependency(data);
  inference.addDependency(network);
  return { data, network, training, inference };
}
