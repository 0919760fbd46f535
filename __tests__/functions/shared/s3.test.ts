import { decodeS3Key, parseS3Uri } from "../../../functions/shared/s3";

describe("decodeS3Key", () => {
  it("decodes the URL encoding of S3 notifications, + meaning space", () => {
    expect(decodeS3Key("raw_data/my+data+%282024%29.zip")).toBe("raw_data/my data (2024).zip");
  });

  it("is the one decoder: the ETL's and the notify function's keys decode alike", () => {
    expect(decodeS3Key("output_data/run/111122223333-CLR-abc/output/output.tar.gz")).toBe(
      "output_data/run/111122223333-CLR-abc/output/output.tar.gz",
    );
    expect(decodeS3Key("raw_data/a%2Bb+c.csv")).toBe("raw_data/a+b c.csv");
  });
});

describe("parseS3Uri", () => {
  it("splits an s3:// URI into bucket and key, and refuses anything else", () => {
    expect(parseS3Uri("s3://bucket/prepped_data/run/")).toEqual({
      bucket: "bucket",
      key: "prepped_data/run/",
    });
    expect(parseS3Uri("s3://bucket")).toEqual({ bucket: "bucket", key: "" });
    expect(parseS3Uri("https://bucket/x")).toBeUndefined();
  });
});
