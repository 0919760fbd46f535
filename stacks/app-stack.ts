import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import {
  DataTerraformRemoteStateLocal,
  DataTerraformRemoteStateS3,
  LocalBackend,
  S3Backend,
  TerraformOutput,
  type TerraformRemoteState,
  TerraformStack,
} from "cdktf";
import type { Construct } from "constructs";
import { localStatePath, type StackName, type StateBackendConfig, s3StateKey } from "./config";
import { CommonVariables } from "./constructs/common-variables";

export interface UpstreamOutputs<Name extends string> {
  getString(name: Name): string;
  getList(name: Name): string[];
}

export interface AppStackProps {
  readonly backend: StateBackendConfig;
}

/**
 * A stack with its own state, the AWS provider configured from the shared variables, and a way to read an
 * upstream stack's outputs through terraform_remote_state (so each stack plans and applies on its own).
 */
export abstract class AppStack extends TerraformStack {
  readonly variables: CommonVariables;
  private readonly backendConfig: StateBackendConfig;

  protected constructor(
    scope: Construct,
    readonly stackName: StackName,
    props: AppStackProps,
  ) {
    super(scope, stackName);
    this.backendConfig = props.backend;
    this.variables = new CommonVariables(this, "common");

    new AwsProvider(this, "aws", {
      region: this.variables.region.stringValue,
      defaultTags: [
        {
          tags: {
            app: this.variables.namePrefix.stringValue,
            stack: stackName,
            "managed-by": "cdktf",
          },
        },
      ],
    });

    if (props.backend.kind === "s3") {
      const backend = new S3Backend(this, {
        bucket: props.backend.bucket,
        key: s3StateKey(props.backend, stackName),
        region: props.backend.region,
        encrypt: true,
      });
      // cdktf 0.21 predates the typed option; Terraform >= 1.10 locks with a lock file next to the state.
      backend.addOverride("use_lockfile", true);
    } else {
      new LocalBackend(this, { path: localStatePath(stackName) });
    }
  }

  /** Declares the stack's outputs, each with a description; names are the Terraform output names. */
  protected declareOutputs(outputs: Record<string, { value: unknown; description: string }>): void {
    for (const [name, output] of Object.entries(outputs)) {
      new TerraformOutput(this, name, output);
    }
  }

  /** An upstream stack's outputs, by the names it declares (stacks/outputs.ts). */
  protected upstreamOutputs<const Name extends string>(
    upstream: StackName,
    names: readonly Name[],
  ): UpstreamOutputs<Name> {
    const state = this.upstreamState(upstream);
    const known = (name: Name) => {
      if (!names.includes(name)) throw new Error(`${upstream} declares no output ${name}`);
      return name;
    };
    return {
      getString: (name) => state.getString(known(name)),
      getList: (name) => state.getList(known(name)),
    };
  }

  protected upstreamState(upstream: StackName): TerraformRemoteState {
    const id = `${upstream}_state`;
    const state =
      this.backendConfig.kind === "s3"
        ? new DataTerraformRemoteStateS3(this, id, {
            bucket: this.backendConfig.bucket,
            key: s3StateKey(this.backendConfig, upstream),
            region: this.backendConfig.region,
          })
        : new DataTerraformRemoteStateLocal(this, id, { path: localStatePath(upstream) });
    // An upstream stack that was never applied has no state, so no outputs: say so before anything reads one
    // (otherwise Terraform reports "Unsupported attribute" on the first output a resource uses).
    state.addOverride("lifecycle.postcondition", [
      {
        condition: "${length(keys(self.outputs)) > 0}",
        error_message: `The ${upstream} stack is not deployed yet (its state has no outputs), and ${this.stackName} reads them. Deploy ${upstream} first: npm run deploy -- ${upstream} ${this.stackName}`,
      },
    ]);
    return state;
  }
}
