import { App } from "cdktf";
import { readBackendConfig } from "./stacks/config";
import { NetworkStack } from "./stacks/network-stack";
import { TrainingStack } from "./stacks/training-stack";

const app = new App();
const backend = readBackendConfig();
const network = new NetworkStack(app, { backend });
const training = new TrainingStack(app, { backend });
// Remote state, not construct references, joins the stacks; the dependency keeps deploy order right.
training.addDependency(network);
app.synth();
