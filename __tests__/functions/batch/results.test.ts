import { RESULT_COLUMNS } from "../../../contract/batch";
import {
  joinPredictions,
  PredictionsError,
  readPredictions,
  resultRow,
} from "../../../functions/batch/results";
import { decodeExport } from "../../../functions/etl/text-encoding";
import {
  DOCUMENTED_MULTI_CLASS_LINES,
  DOCUMENTED_MULTI_LABEL_LINES,
  errorLine,
  jobOutput,
  prediction,
} from "../../fixtures/batch/job-output";

const summary = (rows: ReturnType<typeof joinPredictions>["rows"]) =>
  rows.map((r) => [r.id, r.predicted_label, r.needs_review, r.review_reason]);

describe("the results of a backlog", () => {
  it("gives each ticket its top label, the runner-up, and a review flag with its reason below the threshold", () => {
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
      review_reason: "low score",
    });
  });

  it("reads the documented multi-class output, whose line numbers are strings", async () => {
    const archive = await jobOutput(DOCUMENTED_MULTI_CLASS_LINES);

    const { rows, missing } = joinPredictions(
      ["T0", "T1", "T2", "T3"],
      ["T0", "T1", "T2", "T3"],
      await readPredictions(archive),
      0.5,
    );

    expect(summary(rows)).toEqual([
      ["T0", "Documentary", "false", ""],
      ["T1", "Science_Fiction", "false", ""],
      ["T2", "Documentary", "true", "low score"],
      ["T3", "Serious_Drama", "true", "low score"],
    ]);
    expect(missing).toEqual([]);
  });

  it("reads the documented multi-label output (Labels instead of Classes)", async () => {
    const archive = await jobOutput(DOCUMENTED_MULTI_LABEL_LINES);

    const { rows } = joinPredictions(
      ["a", "b", "c", "d"],
      ["a", "b", "c", "d"],
      await readPredictions(archive),
      0.5,
    );

    expect(rows.map((r) => [r.predicted_label, r.runner_up_label])).toEqual([
      ["Action", "Drama"],
      ["Comedy", "Action"],
      ["Action", "Drama"],
      ["Romance", "Comedy"],
    ]);
  });

  it("joins lines back to tickets out of order, with string and numeric line numbers, flagging a line with none", async () => {
    const archive = await jobOutput([
      prediction(2, "Network", 0.9),
      prediction(0, "Database", 0.8, "number"),
      "",
    ]);

    const { rows, missing } = joinPredictions(
      ["INC0", "INC1", "INC2"],
      ["INC0", "INC1", "INC2"],
      await readPredictions(archive),
      0.5,
    );

    expect(summary(rows)).toEqual([
      ["INC0", "Database", "false", ""],
      ["INC1", "", "true", "no prediction"],
      ["INC2", "Network", "false", ""],
    ]);
    expect(missing).toEqual(["INC1"]);
  });

  it("flags the one ticket of an error line or a malformed line and keeps every other result", async () => {
    const archive = await jobOutput([
      prediction(0, "Network", 0.9),
      errorLine(1),
      "{not json",
      prediction(3, "Database", 0.7),
    ]);

    const predictions = await readPredictions(archive);
    const { rows, failed, missing } = joinPredictions(
      ["A", "B", "C", "D"],
      ["A", "B", "C", "D"],
      predictions,
      0.5,
    );

    expect(summary(rows)).toEqual([
      ["A", "Network", "false", ""],
      ["B", "", "true", "Comprehend could not classify it: INVALID_DOCUMENT: The document could not be read"],
      ["C", "", "true", "no prediction"],
      ["D", "Database", "false", ""],
    ]);
    expect(failed).toEqual(["B"]);
    expect(missing).toEqual(["C"]);
    expect(predictions.unreadable).toEqual([{ file: "predictions.jsonl", line: 3, problem: "not JSON" }]);
  });

  it("gives an empty ticket, which was never sent, a row without a label", async () => {
    const archive = await jobOutput([prediction(0, "Network", 0.9)]);

    const { rows } = joinPredictions(["A", "EMPTY"], ["A"], await readPredictions(archive), 0.5);

    expect(summary(rows)).toEqual([
      ["A", "Network", "false", ""],
      ["EMPTY", "", "true", "empty ticket"],
    ]);
  });

  it("names an archive that is not one instead of writing wrong results", async () => {
    await expect(readPredictions(Buffer.from("nope"))).rejects.toThrow(PredictionsError);
  });
});

describe("a backlog export's encoding", () => {
  it("reads UTF-8 as it is, and Windows-1252 or UTF-16 with a byte order mark converted, saying which", () => {
    const utf8 = decodeExport(Buffer.from("number,text\nINC1,écran\n"));
    const cp1252 = decodeExport(
      Buffer.from([...Buffer.from("number,text\nINC1,"), 0xe9, ...Buffer.from("cran\n")]),
    );
    const utf16 = decodeExport(
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("number,text\nINC1,écran\n", "utf16le")]),
    );

    expect([utf8, cp1252, utf16].map((decoded) => decoded.text)).toEqual(
      Array(3).fill("number,text\nINC1,écran\n"),
    );
    expect([utf8, cp1252, utf16].map((decoded) => decoded.encoding)).toEqual([
      "utf-8",
      "windows-1252",
      "utf-16le",
    ]);
  });
});
