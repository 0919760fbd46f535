import { isUnsafeEntryName, labelFromEntryName } from "../../../functions/etl/seoss";

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
