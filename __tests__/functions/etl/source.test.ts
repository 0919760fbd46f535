import { makeRunId } from "../../../functions/etl/source";

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
