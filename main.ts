import { App } from "cdktf";
import { readBackendConfig } from "./stacks/config";
import { composeStacks } from "./stacks/index";

const app = new App();
try {
  composeStacks(app, readBackendConfig());
  app.synth();
} catch (error) {
  // A configuration mistake (a backend variable, a missing terraform) is a message, not a stack trace.
  console.error(`synth failed: ${(error as Error).message.trim()}`);
  process.exit(1);
}
