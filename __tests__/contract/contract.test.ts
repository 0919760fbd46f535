import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  CLASSIFIER_ARN_PATTERN,
  classifierArn,
  isClassifierArn,
  parseClassifierArn,
} from "../../contract/arns";
import {
  checkPrefix,
  DATA_PREFIXES,
  RUN_HASH_LENGTH,
  RUN_ID_MAX_LENGTH,
  RUN_SLUG_MAX_LENGTH,
  runLayout,
} from "../../contract/data-layout";
import { ENDPOINT_LIFECYCLE_INPUT_KEYS, TERRAFORM_KEY } from "../../contract/endpoint-lifecycle";
import {
  CLASSIFY_ENVIRONMENT,
  ETL_ENVIRONMENT,
  NOTIFY_ENVIRONMENT,
  readEnvironment,
  TRAIN_ENVIRONMENT,
} from "../../contract/environment";
import { ETL_COMPLETED_FILTER, TRAINING_FINISHED_FILTER } from "../../contract/events";
import { requestsPerSecond } from "../../contract/throughput";
import { makeRunId } from "../../functions/etl/source";
import { resourcesOf, type StackJson, synthesizeApp } from "../stacks/synthesized";

let stacks: Record<string, StackJson>;

beforeAll(() => {
  stacks = synthesizeApp().stacks;
});

const functionEnvironment = (stack: string, name: string): Record<string, string> => {
  const found = resourcesOf(stacks[stack] as StackJson, "aws_lambda_function").find(([, fn]) =>
    String(fn.function_name).endsWith(`-${name}`),
  );
  const environment = found?.[1].environment as { variables?: Record<string, string> } | undefined;
  return environment?.variables ?? {};
};

describe("the contract between the stacks and the functions", () => {
  it.each([
    ["training", "etl", ETL_ENVIRONMENT],
    ["training", "train", TRAIN_ENVIRONMENT],
    ["training", "notify", NOTIFY_ENVIRONMENT],
    ["inference", "classify", CLASSIFY_ENVIRONMENT],
  ] as const)(
    "gives the %s stack's %s function every variable its contract requires, and none it does not know",
    (stack, name, contract) => {
      // NodeFunction adds the runtime's own settings (logging, Node options); the rest is the function's contract.
      const names = Object.keys(functionEnvironment(stack, name)).filter(
        (key) => !["POWERTOOLS_SERVICE_NAME", "POWERTOOLS_LOG_LEVEL", "NODE_OPTIONS"].includes(key),
      );

      expect(names.length).toBeGreaterThan(0);
      for (const required of contract.required) expect(names).toContain(required);
      for (const variable of names) expect([...contract.required, ...contract.optional]).toContain(variable);
    },
  );

  it("names every missing variable at once when a function reads its environment", () => {
    expect(() => readEnvironment(NOTIFY_ENVIRONMENT, { TOPIC_ARN: "arn" })).toThrow(
      "Missing required environment variable(s): NAME_PREFIX, OUTPUT_PREFIX, REPORTS_PREFIX",
    );
    expect(
      readEnvironment(CLASSIFY_ENVIRONMENT, {
        ENDPOINT_ARN: " arn ",
        POWERTOOLS_METRICS_NAMESPACE: "itsr/classifier",
        RETRY_AFTER_SECONDS: "",
      }),
    ).toEqual({ ENDPOINT_ARN: "arn", POWERTOOLS_METRICS_NAMESPACE: "itsr/classifier" });
  });

  it("derives every key of a run from the prefixes and the run id", () => {
    expect(runLayout(DATA_PREFIXES, "tickets-0123456789ab")).toEqual({
      trainingDataPrefix: "prepped_data/tickets-0123456789ab/",
      // Beside the training prefix, not under it: Comprehend reads every object under S3Uri as training data.
      testDataKey: "prepped_data/tickets-0123456789ab.test.csv",
      reportKey: "reports/tickets-0123456789ab/report.json",
      rejectedKey: "reports/tickets-0123456789ab/rejected.json",
      outputPrefix: "output_data/tickets-0123456789ab/",
      baseline: {
        json: "reports/tickets-0123456789ab/evaluation.json",
        html: "reports/tickets-0123456789ab/evaluation.html",
        svg: "reports/tickets-0123456789ab/confusion-matrix.svg",
        attempted: "reports/tickets-0123456789ab/baseline-attempted.json",
      },
      model: {
        json: "reports/tickets-0123456789ab/comprehend-evaluation.json",
        html: "reports/tickets-0123456789ab/comprehend-evaluation.html",
      },
      scoring: {
        scores: expect.any(Function),
        routing: "reports/tickets-0123456789ab/routing.json",
        comparison: "reports/tickets-0123456789ab/comparison.json",
        comparisonHtml: "reports/tickets-0123456789ab/comparison.html",
        emailed: "reports/tickets-0123456789ab/scoring-emailed.json",
      },
    });
    expect(runLayout(DATA_PREFIXES, "tickets-0123456789ab").scoring.scores("new")).toBe(
      "reports/tickets-0123456789ab/scores-new.json",
    );
    for (const prefix of Object.values(DATA_PREFIXES)) expect(checkPrefix("P", prefix)).toBeUndefined();
    for (const bad of ["", "/raw/", "raw", "raw//"])
      expect(checkPrefix("P", bad)).toContain("P must be a key prefix");
  });

  it("keeps the longest run id the ETL makes within the limit naming enforces", () => {
    const runId = makeRunId({ bucket: "b", key: `raw_data/${"x".repeat(200)}.zip`, versionId: "v1" });

    expect(RUN_ID_MAX_LENGTH).toBe(RUN_SLUG_MAX_LENGTH + 1 + RUN_HASH_LENGTH);
    expect(runId.length).toBe(RUN_ID_MAX_LENGTH);
  });

  it("subscribes the train and batch functions with the filters the events carry", () => {
    const filters = resourcesOf(stacks.training as StackJson, "aws_sns_topic_subscription")
      .filter(([, s]) => s.protocol === "lambda")
      .map(([, s]) => JSON.parse(s.filter_policy as string));

    expect(filters).toEqual([TRAINING_FINISHED_FILTER, ETL_COMPLETED_FILTER]);
  });

  it("hands the endpoint-lifecycle function the input keys and the Terraform key it parses", () => {
    const [[, invocation]] = resourcesOf(stacks.inference as StackJson, "aws_lambda_invocation") as [
      [string, Record<string, unknown>],
    ];
    const [[, desired]] = resourcesOf(stacks.inference as StackJson, "terraform_data") as [
      [string, { input: Record<string, unknown> }],
    ];

    expect(invocation.terraform_key).toBe(TERRAFORM_KEY);
    expect(Object.keys(desired.input).sort()).toEqual([...ENDPOINT_LIFECYCLE_INPUT_KEYS].sort());
  });

  it("validates the classifier ARN variable with the pattern the functions parse with", () => {
    const validation = (stacks.inference as StackJson).variable.document_classifier_arn?.validation as {
      condition: string;
    }[];

    expect(validation[0]?.condition).toContain(CLASSIFIER_ARN_PATTERN);
    const parts = {
      partition: "aws",
      region: "eu-west-1",
      account: "111122223333",
      name: "itsr-run-1",
      version: "run-1",
    };
    expect(parseClassifierArn(classifierArn(parts))).toEqual(parts);
    expect(isClassifierArn("arn:aws:comprehend:eu-west-1:111122223333:document-classifier/itsr--run-1")).toBe(
      true,
    );
    for (const bad of [
      "arn:aws:comprehend:eu-west-1:111122223333:document-classifier/-lead",
      "arn:aws:comprehend:eu-west-1:11112222333:document-classifier/x",
      `arn:aws:comprehend:eu-west-1:111122223333:document-classifier/${"a".repeat(64)}`,
      "arn:aws:s3:::bucket",
    ]) {
      expect(isClassifierArn(bad)).toBe(false);
    }
  });
});

describe("the README's sizing table", () => {
  it("quotes the rates the API's default throttling computes", () => {
    const readme = readFileSync(join(__dirname, "..", "..", "README.md"), "utf8");
    const table = readme.slice(readme.indexOf("typical ticket | requests a second"));
    const rows = [
      ...table.matchAll(/^\|\s*([\d,]+) characters \|\s*([\d.]+) \|\s*([\d.]+) \|\s*([\d.]+) \|$/gm),
    ];

    expect(rows.length).toBe(4);
    for (const [, characters, ...rates] of rows) {
      const chars = Number((characters as string).replace(/,/g, ""));
      expect(rates.map(Number)).toEqual([1, 2, 4].map((units) => requestsPerSecond(units, chars)));
    }
  });
});
