import { App } from "cdktf";
import { readBackendConfig } from "./stacks/config";
import { NetworkStack } from "./stacks/network-stack";

const app = new App();
const backend = readBackendConfig();
new NetworkStack(app, { backend });
app.synth();
