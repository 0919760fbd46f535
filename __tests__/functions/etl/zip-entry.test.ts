import { mkdtemp, rm, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import StreamZip from "node-stream-zip";
import { InputError } from "../../../functions/etl/errors";
import { readZipEntry, ZipDataError } from "../../../functions/etl/zip-entry";
import { rng, writeZip } from "../../fixtures/etl/seoss-fixture";

/** Info-ZIP's extended timestamp field: present in local headers, a different size in the central directory. */
const LOCAL_TIMESTAMP = Buffer.from([0x55, 0x54, 0x09, 0x00, 0x03, 1, 2, 3, 4, 5, 6, 7, 8]);

async function readAll(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function entriesOf(path: string): Promise<Record<string, StreamZip.ZipEntry>> {
  const zip = new StreamZip.async({ file: path });
  try {
    return await zip.entries();
  } finally {
    await zip.close();
  }
}

describe("readZipEntry", () => {
  let dir: string;
  let zipPath: string;
  let data: Buffer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "etl-zip-entry-"));
    const random = rng(5);
    // 3 MB: several reads, and a deflated stream longer than one inflate chunk.
    data = Buffer.from(Array.from({ length: 3_000_000 }, () => 97 + Math.floor(random() * 8)));
    zipPath = join(dir, "members.zip");
    await writeZip(zipPath, [
      { name: "stored.bin", data, localExtra: LOCAL_TIMESTAMP },
      { name: "deflated.bin", data, method: "deflate", localExtra: LOCAL_TIMESTAMP },
    ]);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads stored and deflated members, past a local extra field the directory does not show", async () => {
    // Prepare
    const entries = await entriesOf(zipPath);

    // Act
    const stored = await readAll(readZipEntry(zipPath, entries["stored.bin"] as StreamZip.ZipEntry));
    const deflated = await readAll(readZipEntry(zipPath, entries["deflated.bin"] as StreamZip.ZipEntry));

    // Assess
    expect(stored.equals(data)).toBe(true);
    expect(deflated.equals(data)).toBe(true);
  });

  it("says a member whose bytes do not match the directory's CRC or size is damaged", async () => {
    // Prepare
    const entry = (await entriesOf(zipPath))["stored.bin"] as StreamZip.ZipEntry;

    // Act
    const wrongCrc = await readAll(readZipEntry(zipPath, { ...entry, crc: (entry.crc ^ 1) >>> 0 })).catch(
      (e: unknown) => e,
    );
    const wrongSize = await readAll(readZipEntry(zipPath, { ...entry, size: entry.size - 1 })).catch(
      (e: unknown) => e,
    );

    // Assess
    expect(wrongCrc).toEqual(new ZipDataError("invalid CRC"));
    expect(wrongSize).toEqual(new ZipDataError("invalid size: more data than the directory says"));
  });

  it("says a member cut short by a truncated archive is damaged", async () => {
    // Prepare
    const cut = join(dir, "cut.zip");
    await writeZip(cut, [{ name: "stored.bin", data }]);
    const entry = (await entriesOf(cut))["stored.bin"] as StreamZip.ZipEntry;
    await truncate(cut, 1_000_000);

    // Act
    const read = readAll(readZipEntry(cut, entry));

    // Assess
    await expect(read).rejects.toThrow(/invalid size: \d+ of 3000000 bytes/);
  });

  it("names a member compressed with a method it cannot read", async () => {
    // Prepare
    const entry = (await entriesOf(zipPath))["stored.bin"] as StreamZip.ZipEntry;

    // Act
    const read = readAll(readZipEntry(zipPath, { ...entry, method: 12 }));

    // Assess
    const error = await read.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(/^zip member stored\.bin uses compression method 12;/);
  });
});
