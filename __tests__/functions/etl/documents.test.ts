import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "csv-stringify/sync";
import { cutPoint, normalizeText, normalizeUtf8, TrainingCsvWriter } from "../../../functions/etl/documents";
import { rng } from "../../fixtures/etl/seoss-fixture";

/** The byte path on a string: normalise, then cut to `maxBytes` as the writer does. */
function normalizeAndCut(text: string, maxBytes: number): string {
  const src = Buffer.from(text, "utf8");
  const dst = Buffer.alloc(Math.min(src.length, maxBytes) + 8);
  let length = normalizeUtf8(src, dst, maxBytes, { quotes: 0, commas: 0 });
  if (length > maxBytes) length = cutPoint(dst, maxBytes);
  return dst.toString("utf8", 0, length);
}

/** The rule spelled on strings, as the writer's byte path must reproduce it. */
function referenceDocument(text: string, maxBytes: number): string {
  const normalized = normalizeText(text);
  const bytes = Buffer.from(normalized, "utf8");
  if (bytes.length <= maxBytes) return normalized;
  let end = maxBytes;
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return bytes.toString("utf8", 0, end).trimEnd();
}

describe("normalizeText", () => {
  it("collapses newlines, CR, tabs and control characters to one space and trims", () => {
    expect(normalizeText("  a\r\n\r\nb\t\tc \u0000 d\u000b\n")).toBe("a b c d");
  });

  it("leaves a whitespace-only document empty", () => {
    expect(normalizeText(" \r\n\t ")).toBe("");
  });
});

describe("normalizeUtf8", () => {
  it("agrees with normalizeText for every Unicode code point, inside, around and at both ends", () => {
    // Prepare: every scalar value, in blocks, each between letters, doubled, and at both ends of the block
    const mismatches: string[] = [];
    for (let from = 0; from <= 0x10ffff; from += 0x1000) {
      const chars: string[] = [];
      for (let cp = from; cp < from + 0x1000 && cp <= 0x10ffff; cp++) {
        if (cp < 0xd800 || cp > 0xdfff) chars.push(String.fromCodePoint(cp));
      }
      const text = `${chars[0]}${chars.map((c) => `x${c}${c}y`).join("")}${chars.at(-1)}`;

      // Act
      const bytes = normalizeAndCut(text, Number.MAX_SAFE_INTEGER - 8);

      // Assess
      if (bytes !== normalizeText(text)) mismatches.push(from.toString(16));
    }
    expect(mismatches).toEqual([]);
  });

  it("cuts at a character boundary, never inside a multi-byte character", () => {
    // "é" is 2 bytes, "日" 3, "🐛" 4 (a surrogate pair in JavaScript)
    expect(normalizeAndCut("héllo", 6)).toBe("héllo");
    expect(normalizeAndCut("aé", 2)).toBe("a");
    expect(normalizeAndCut("ab日本", 5)).toBe("ab日");
    expect(normalizeAndCut("ab🐛", 5)).toBe("ab");
    expect(normalizeAndCut("ab🐛c", 6)).toBe("ab🐛");
    expect(normalizeAndCut("ab \t\r\n cd", 3)).toBe("ab");
  });

  it("cuts long text to at most the limit in UTF-8 bytes", () => {
    const text = "日本語のテキスト🐛 ".repeat(2000);
    const cut = normalizeAndCut(text, 10000);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(10000);
    expect(Buffer.byteLength(cut)).toBeGreaterThan(9990);
    expect(text.startsWith(cut)).toBe(true);
  });

  it("does not cut a document whose only excess is trailing whitespace", () => {
    expect(normalizeAndCut("abc   \n\t", 3)).toBe("abc");
  });
});

describe("TrainingCsvWriter", () => {
  const PIECES = [
    "a",
    "Z",
    "word",
    " ",
    "  ",
    "\r\n",
    "\t",
    "\u0000",
    "\u007f",
    "\u0085",
    "\u00a0",
    "\u1680",
    "\u2003",
    "\u2028",
    "\u202f",
    "\u205f",
    "\u3000",
    "\ufeff",
    "\u200b",
    "\u00ad",
    "é",
    "日",
    "🐛",
    '"',
    '""',
    ",",
  ];
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "etl-documents-"));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes what normalizeText, the character-boundary cut and csv-stringify make of random documents", async () => {
    // Prepare
    const random = rng(42);
    const docs = Array.from({ length: 3000 }, () => {
      const parts = Array.from(
        { length: Math.floor(random() * 40) },
        () => PIECES[Math.floor(random() * PIECES.length)],
      );
      return parts.join("");
    });
    const maxBytes = 24;
    const path = join(dir, "random.csv");
    const writer = new TrainingCsvWriter(path, { maxDocBytes: maxBytes });
    const labels = ["SPARK", 'ODD "LABEL", ONE'];

    // Act
    docs.forEach((doc, i) => {
      const label = labels[i % 2] as string;
      if (i % 3 === 0) writer.addUtf8(label, new Uint8Array(Buffer.from(doc, "utf8")));
      else writer.add(label, doc);
    });
    await writer.close();

    // Assess
    const expected = docs
      .map((doc, i) => [labels[i % 2] as string, referenceDocument(doc, maxBytes)] as const)
      .filter(([, text]) => text !== "");
    expect(await readFile(path, "utf8")).toBe(stringify(expected, { record_delimiter: "unix" }));
    expect(writer.stats.documents).toBe(expected.length);
    expect(writer.stats.emptyDropped).toBe(docs.length - expected.length);
    expect(writer.stats.cut).toBe(
      docs.filter((doc) => Buffer.byteLength(normalizeText(doc)) > maxBytes).length,
    );
    expect(writer.stats.bytes).toBe((await readFile(path)).length);
  });

  it("keeps a long document whole when the limit allows, and cuts it when it does not", async () => {
    // Prepare
    const doc = "日本語 text,\t".repeat(20_000);
    const path = join(dir, "long.csv");
    const writer = new TrainingCsvWriter(path, { maxDocBytes: 1_000_000 });
    const small = new TrainingCsvWriter(join(dir, "long-cut.csv"), { maxDocBytes: 50_000 });

    // Act
    writer.add("HIVE", doc);
    small.add("HIVE", doc);
    await writer.close();
    await small.close();

    // Assess
    expect(await readFile(path, "utf8")).toBe(
      stringify([["HIVE", normalizeText(doc)]], { record_delimiter: "unix" }),
    );
    expect(await readFile(join(dir, "long-cut.csv"), "utf8")).toBe(
      stringify([["HIVE", referenceDocument(doc, 50_000)]], { record_delimiter: "unix" }),
    );
    expect(small.stats.cut).toBe(1);
  });

  it("decodes bytes that are not UTF-8 with replacement characters, as a string would", async () => {
    // Prepare
    const path = join(dir, "invalid.csv");
    const writer = new TrainingCsvWriter(path, { maxDocBytes: 100 });

    // Act
    writer.addUtf8("HIVE", new Uint8Array([0x61, 0xff, 0x62, 0xe2, 0x82, 0x20, 0x63]));
    await writer.close();

    // Assess
    expect(await readFile(path, "utf8")).toBe("HIVE,a\ufffdb\ufffd c\n");
  });

  it("drops a document that a tiny limit cuts to nothing, counting it as cut and empty", async () => {
    // Prepare
    const path = join(dir, "tiny-limit.csv");
    const writer = new TrainingCsvWriter(path, { maxDocBytes: 1 });

    // Act
    const added = writer.add("HIVE", "日本");
    await writer.close();

    // Assess
    expect(added).toBe(false);
    expect(writer.stats).toMatchObject({ documents: 0, cut: 1, emptyDropped: 1 });
    expect(await readFile(path, "utf8")).toBe("");
  });
});
