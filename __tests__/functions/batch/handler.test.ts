import "../../fixtures/batch/env";
import {
  ComprehendClient,
  ListDocumentClassificationJobsCommand,
  ListDocumentClassifiersCommand,
  StartDocumentClassificationJobCommand,
} from "@aws-sdk/client-comprehend";
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import type { Context, S3Event, ScheduledEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { handler } from "../../../functions/batch/handler";
import { batchEnv } from "../../fixtures/batch/env";
import scheduledEvent from "../../fixtures/notify/scheduled-event.json";

const comprehend = mockClient(ComprehendClient);
const s3 = mockClient(S3Client);
const sns = mockClient(SNSClient);
const CLASSIFIER =
  "arn:aws:comprehend:us-east-1:111122223333:document-classifier/itsr--tickets-0a1b2c3d4e5f/version/v1";
const context = {
  functionName: "itsr-batch",
  awsRequestId: "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
} as Context;

function s3Event(key: string): S3Event {
  return {
    Records: [
      {
        eventSource: "aws:s3",
        eventName: "ObjectCreated:Put",
        s3: { bucket: { name: "itsr-data" }, object: { key, size: 10, versionId: "v1" } },
      },
    ],
  } as unknown as S3Event;
}

beforeEach(() => {
  comprehend.reset();
  s3.reset();
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: "m" });
  s3.on(HeadObjectCommand).rejects(Object.assign(new Error("Not Found"), { name: "NotFound" }));
  s3.on(PutObjectCommand).resolves({});
});

describe("batch handler", () => {
  it("sweeps this app's failed and stopped jobs in its own bucket on the schedule", async () => {
    // Prepare
    comprehend.on(ListDocumentClassificationJobsCommand).resolves({
      DocumentClassificationJobPropertiesList: [
        {
          JobId: "job-9",
          JobName: "itsr-backlog-0a1b2c3d4e5f",
          JobStatus: "FAILED",
          Message: "the job's VPC has no route to S3",
          InputDataConfig: { S3Uri: "s3://itsr-data/batch_output/backlog-0a1b2c3d4e5f/input/documents.txt" },
        },
      ],
    });

    // Act
    const outcomes = await handler(structuredClone(scheduledEvent) as ScheduledEvent, context);

    // Assess
    expect(
      comprehend.commandCalls(ListDocumentClassificationJobsCommand).map((c) => c.args[0].input.Filter),
    ).toEqual([{ JobStatus: "FAILED" }, { JobStatus: "STOPPED" }]);
    // The list mock answers both statuses with the same job: the marker written after the first email is
    // not seen by this mock's HEAD, so the point here is the routing and the bucket, not the once-only rule.
    expect(outcomes[0]).toEqual({ batch_id: "backlog-0a1b2c3d4e5f", job_id: "job-9", status: "reported" });
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toMatchObject({
      Bucket: "itsr-data",
      Key: "batch_output/backlog-0a1b2c3d4e5f/failure-reported.json",
    });
  });

  it("starts a job for an export under batch_input/ with the stack's network and key", async () => {
    // Prepare
    s3.on(GetObjectCommand).resolves({
      ContentLength: 60,
      Body: {
        transformToByteArray: async () =>
          Buffer.from("number,short_description,description\nINC1,VPN down,cannot connect\n"),
      },
    } as never);
    comprehend.on(StartDocumentClassificationJobCommand).resolves({ JobId: "job-1", JobArn: "arn:job-1" });
    comprehend
      .on(ListDocumentClassificationJobsCommand)
      .resolves({ DocumentClassificationJobPropertiesList: [] });
    comprehend.on(ListDocumentClassifiersCommand).resolves({
      DocumentClassifierPropertiesList: [
        { DocumentClassifierArn: CLASSIFIER, Status: "TRAINED", TrainingEndTime: new Date("2026-06-01") },
      ],
    });

    // Act
    const outcomes = await handler(s3Event("batch_input/backlog.csv"), context);

    // Assess
    expect(outcomes).toEqual([expect.objectContaining({ status: "started", job_id: "job-1", tickets: 1 })]);
    const request = comprehend.commandCalls(StartDocumentClassificationJobCommand)[0]?.args[0].input;
    expect(request).toMatchObject({
      DocumentClassifierArn: CLASSIFIER,
      DataAccessRoleArn: batchEnv.DATA_ACCESS_ROLE_ARN,
      VolumeKmsKeyId: batchEnv.KMS_KEY_ARN,
      OutputDataConfig: { KmsKeyId: batchEnv.KMS_KEY_ARN },
      VpcConfig: { SecurityGroupIds: ["sg-jobs"], Subnets: ["subnet-1", "subnet-2"] },
    });
    expect(request?.InputDataConfig?.S3Uri).toMatch(
      /^s3:\/\/itsr-data\/batch_output\/backlog-[0-9a-f]{12}\//,
    );
  });

  it("ignores objects outside the batch prefixes", async () => {
    // Act
    const outcomes = await handler(s3Event("raw_data/other.zip"), context);

    // Assess
    expect(outcomes).toEqual([{ status: "ignored", key: "raw_data/other.zip" }]);
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
  });
});
