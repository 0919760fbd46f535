import { PutObjectCommand } from "@aws-sdk/client-s3";
import { retrainRequestKey } from "../../../contract/retraining";
import { correctionKey, importedCorrectionsKey } from "../../../contract/review";
import {
  automaticRequestKey,
  requestRetrainingIfDue,
} from "../../../functions/pipeline-shared/retrain-trigger";
import { memoryBucket } from "../../fixtures/s3/bucket";

const bucket = memoryBucket();
const SERVED =
  "arn:aws:comprehend:us-east-1:111122223333:document-classifier/itsr--tickets-0123456789ab/version/tickets-0123456789ab";
const deps = (afterCorrections: number) => ({
  s3: bucket.client,
  bucket: "itsr-data-111122223333",
  afterCorrections,
  servedClassifierArn: SERVED,
  now: () => new Date("2026-12-04T22:00:00Z"),
});
const storeCorrection = (i: number) => {
  const correction = {
    id: `c-${i}`,
    text: `ticket ${i}`,
    label: "Network",
    corrected_at: "2026-12-02T09:00:00.000Z",
    source: "api",
  };
  bucket.put(correctionKey(correction), JSON.stringify(correction));
};

beforeEach(() => {
  bucket.reset();
});

describe("retraining on its own after enough corrections", () => {
  it("counts only the corrections stored since the last request, imported lines one by one", async () => {
    // Prepare: 3 corrections, then a request by hand, then 2 by the API and an import of 3 tickets.
    for (const i of [1, 2, 3]) storeCorrection(i);
    bucket.put(retrainRequestKey(new Date("2026-12-03T00:00:00Z")), "{}");
    for (const i of [4, 5]) storeCorrection(i);
    bucket.put(importedCorrectionsKey("closed-0123456789ab"), '{"text":"a"}\n{"text":"b"}\n{"text":"c"}\n');

    // Act
    const below = await requestRetrainingIfDue(deps(6));
    const reached = await requestRetrainingIfDue(deps(5));

    // Assess
    expect(below).toEqual({ requested: false, new_corrections: 5, needed: 6 });
    // The first automatic request: the one before was asked for by hand.
    expect(reached).toEqual({ requested: true, new_corrections: 5, key: automaticRequestKey(1) });
    expect(JSON.parse(bucket.text(automaticRequestKey(1)) ?? "{}")).toEqual({
      served_classifier_arn: SERVED,
      requested_at: "2026-12-04T22:00:00.000Z",
      requested_by: "corrections",
      new_corrections: 5,
    });
  });

  it("asks once when two corrections reach the count together, and not again until as many more arrive", async () => {
    // Prepare
    for (const i of [1, 2, 3]) storeCorrection(i);

    // Act
    const [a, b] = await Promise.all([requestRetrainingIfDue(deps(3)), requestRetrainingIfDue(deps(3))]);
    storeCorrection(4);
    const after = await requestRetrainingIfDue(deps(3));

    // Assess
    expect([a?.requested, b?.requested].sort()).toEqual([false, true]);
    expect([...bucket.objects.keys()].filter((key) => key.startsWith("retrain_input/"))).toEqual([
      automaticRequestKey(1),
    ]);
    expect(after).toEqual({ requested: false, new_corrections: 1, needed: 3 });
  });

  it("numbers the next request after the highest one, so a deleted request does not stop it", async () => {
    bucket.put(automaticRequestKey(1), "{}");
    bucket.put(automaticRequestKey(3), "{}");
    for (const i of [1, 2]) storeCorrection(i);

    const outcome = await requestRetrainingIfDue(deps(2));

    expect(outcome).toEqual({ requested: true, new_corrections: 2, key: automaticRequestKey(4) });
  });

  it("leaves the request to the other writer when S3 answers a concurrent conditional write with 409", async () => {
    // Prepare: "How to prevent object overwrites with conditional writes" (Amazon S3 User Guide): a write racing
    // another conditional write of the same key may fail with 409 ConditionalRequestConflict.
    for (const i of [1, 2]) storeCorrection(i);
    bucket.s3.on(PutObjectCommand).rejectsOnce(
      Object.assign(new Error("A conflicting conditional operation is currently in progress"), {
        name: "ConditionalRequestConflict",
        $metadata: { httpStatusCode: 409 },
      }),
    );

    // Act
    const outcome = await requestRetrainingIfDue(deps(2));

    // Assess
    expect(outcome).toEqual({ requested: false, new_corrections: 2, needed: 2 });
  });

  it("never asks when the count is 0", async () => {
    for (const i of [1, 2, 3]) storeCorrection(i);
    expect(await requestRetrainingIfDue(deps(0))).toMatchObject({ requested: false });
    expect(bucket.objects.size).toBe(3);
  });
});
