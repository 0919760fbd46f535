import { cutToBytes, normalizeText } from "../../../functions/etl/documents";
import { isUnsafeEntryName, labelFromEntryName } from "../../../functions/etl/seoss";
import { decodeS3Key, makeRunId } from "../../../functions/etl/source";

describe("normalizeText", () => {
  it("collapses newlines, CR, tabs and control characters to one space and trims", () => {
    expect(normalizeText("  a\r\n\r\nb\t\tc \u0000 d\u000b\n")).toBe("a b c d");
  });

  it("leaves a whitespace-only document empty", () => {
    expect(normalizeText(" \r\n\t ")).toBe("");
  });
});

describe("cutToBytes", () => {
  it("keeps a document that fits", () => {
    expect(cutToBytes("héllo", 6)).toBe("héllo");
  });

  it("cuts at a character boundary, never inside a multi-byte character", () => {
    // "é" is 2 bytes, "日" 3, "🐛" 4 (a surrogate pair in JavaScript)
    expect(cutToBytes("aé", 2)).toBe("a");
    expect(cutToBytes("ab日本", 5)).toBe("ab日");
    expect(cutToBytes("ab🐛", 5)).toBe("ab");
    expect(cutToBytes("ab🐛c", 6)).toBe("ab🐛");
  });

  it("cuts long text to at most the limit in UTF-8 bytes", () => {
    const text = "日本語のテキスト🐛 ".repeat(2000);
    const cut = cutToBytes(text, 10000);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(10000);
    expect(Buffer.byteLength(cut)).toBeGreaterThan(9990);
    expect(text.startsWith(cut)).toBe(true);
  });
});

describe("zip entry names", () => {
  it("labels a member by its file name before the first dot, upper-cased", () => {
    expect(labelFromEntryName("dataverse_files/spark.sqlite3.bz2")).toBe("SPARK");
    expect(labelFromEntryName("Hadoop-HDFS.sqlite3.bz2")).toBe("HADOOP-HDFS");
  });

  it("flags absolute and climbing names", () => {
    expect(isUnsafeEntryName("../x.sqlite3.bz2")).toBe(true);
    expect(isUnsafeEntryName("a/../../x.sqlite3.bz2")).toBe(true);
    expect(isUnsafeEntryName("/etc/x.sqlite3.bz2")).toBe(true);
    expect(isUnsafeEntryName("C:\\x.sqlite3.bz2")).toBe(true);
    expect(isUnsafeEntryName("a/..b/x.sqlite3.bz2")).toBe(false);
  });
});

describe("makeRunId", () => {
  const source = { bucket: "data", key: "raw_data/dataverse_files.zip", versionId: "v1" };

  it("is the same for every delivery of one object version", () => {
    expect(makeRunId(source)).toBe(makeRunId({ ...source }));
    expect(makeRunId(source)).not.toBe(makeRunId({ ...source, versionId: "v2" }));
  });

  it("is a readable slug plus 12 hex digits", () => {
    expect(makeRunId(source)).toMatch(/^dataverse-files-[0-9a-f]{12}$/);
  });

  it("stays within 37 characters of [a-z0-9-] for any key", () => {
    const ids = [
      makeRunId({ bucket: "b", key: `raw_data/${"Ünïcode Über Long Name ".repeat(5)}.zip`, eTag: '"abc"' }),
      makeRunId({ bucket: "b", key: "raw_data/___.csv", eTag: '"abc"' }),
      makeRunId({ bucket: "b", key: "raw_data/a----------------------------b.zip" }),
    ];
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]([a-z0-9-]{0,35}[a-z0-9])?$/);
    expect(ids[1]).toMatch(/^dataset-[0-9a-f]{12}$/);
  });

  it("uses the ETag when the bucket gives no version", () => {
    const a = makeRunId({ bucket: "b", key: "raw_data/x.zip", eTag: '"1"' });
    expect(a).not.toBe(makeRunId({ bucket: "b", key: "raw_data/x.zip", eTag: '"2"' }));
  });
});

describe("decodeS3Key", () => {
  it("decodes the URL encoding of S3 notifications, + meaning space", () => {
    expect(decodeS3Key("raw_data/my+data+%282024%29.zip")).toBe("raw_data/my data (2024).zip");
  });
});
