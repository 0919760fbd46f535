import { App } from "cdktf";
import { readBackendConfig } from "./stacks/config";
import { composeStacks } from "./stacks/index";

const app = new App();
composeStacks(app, readBackendConfig());
app.synth();
