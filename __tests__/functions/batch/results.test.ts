import { RESULT_COLUMNS } from "../../../contract/batch";
import {
  joinPredictions,
  PredictionsError,
  readPredictions,
  resultRow,
} from "../../../functions/batch/results";
import { jobOutput, prediction } from "../../fixtures/batch/job-output";

describe("the results of a backlog", () => {
  it("gives each ticket its top label, the runner-up, and a review flag below the threshold", () => {
    const row = resultRow(
      "INC1",
      [
        { Name: "B", Score: 0.3 },
        { Name: "A", Score: 0.45 },
        { Name: "C", Score: 0.25 },
      ],
      0.5,
    );

    expect(Object.keys(row)).toEqual([...RESULT_COLUMNS]);
    expect(row).toEqual({
      id: "INC1",
      predicted_label: "A",
      score: "0.45",
      runner_up_label: "B",
      runner_up_score: "0.3",
      needs_review: "true",
    });
  });

  it("joins Comprehend's predictions back to the ticket ids by line, out of order, flagging a line with none", async () => {
    const archive = await jobOutput([prediction(2, "Network", 0.9), prediction(0, "Database", 0.8), ""]);

    const { rows, missing } = joinPredictions(["INC0", "INC1", "INC2"], await readPredictions(archive), 0.5);

    expect(rows.map((r) => [r.id, r.predicted_label, r.needs_review])).toEqual([
      ["INC0", "Database", "false"],
      ["INC1", "", "true"],
      ["INC2", "Network", "false"],
    ]);
    expect(missing).toEqual(["INC1"]);
  });

  it("names a damaged output instead of writing wrong results", async () => {
    await expect(readPredictions(Buffer.from("nope"))).rejects.toThrow(PredictionsError);
    await expect(readPredictions(await jobOutput(["{not json"]))).rejects.toThrow(
      "predictions.jsonl line 1 is not JSON",
    );
    await expect(readPredictions(await jobOutput([JSON.stringify({ File: "x" })]))).rejects.toThrow(
      "has no Line and Classes",
    );
  });
});
