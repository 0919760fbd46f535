import { completedEvent } from "../../../functions/etl/outgoing-events";
import { labelsByDocumentCount } from "../../../functions/shared/labels";

describe("the order labels are listed in", () => {
  it("puts the most documents first and breaks ties by name", () => {
    expect(labelsByDocumentCount({ hive: 10, SPARK: 50, flink: 10, Zeppelin: 70 })).toEqual([
      ["Zeppelin", 70],
      ["SPARK", 50],
      ["flink", 10],
      ["hive", 10],
    ]);
  });

  it("is the order of the 'ready for training' email", () => {
    const report = {
      label_counts: { HIVE: 60, SPARK: 900, FLINK: 60 },
      label_count: 3,
      document_count: 1020,
      left_out_labels: [],
      dropped: { empty: 0, no_label: 0, null_text: 0, left_out_label_documents: 0 },
      cut: { documents: 0, max_doc_bytes: 10000 },
      ignored_entries: [],
      warnings: [],
      settings: { min_docs_per_label: 50, max_doc_bytes: 10000 },
      output: { files: [], bytes: 1, decompressed_bytes: 1 },
    } as unknown as Parameters<typeof completedEvent>[2];

    const { text } = completedEvent(
      { bucket: "b", key: "raw_data/x.zip" },
      { runId: "x", trainingDataUri: "s3://b/p/", reportUri: "s3://b/r" },
      report,
    );

    expect(text).toContain("1020 documents in 3 labels:\n  SPARK: 900\n  FLINK: 60\n  HIVE: 60\n");
  });
});
