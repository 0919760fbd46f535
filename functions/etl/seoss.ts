/**
 * The SEOSS dataset zip: one bzip2-compressed SQLite database per project (`<project>.sqlite3.bz2`, possibly
 * under a folder). Each database's `issue` table gives the documents, as the original AWS sample takes them:
 * `summary || ' ' || description` of bugs; the label is the project name.
 *
 * Entry names are only used for labels and messages, never as paths: every file we write is named by the
 * entry's index inside the work directory, so an absolute or `..` name cannot escape it.
 */
import { open, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import StreamZip from "node-stream-zip";
import { type BlockDecodePool, Bzip2DataError, bunzipToFile } from "./bzip2";
import { type DocumentOptions, TrainingCsvWriter } from "./documents";
import { InputError } from "./errors";
import { readZipEntry, ZipDataError } from "./zip-entry";

export interface IgnoredEntry {
  readonly name: string;
  readonly reason: string;
}

export interface MemberSummary {
  readonly name: string;
  readonly label: string;
  readonly compressed_bytes: number;
  readonly database_bytes: number;
  readonly bug_rows: number;
  readonly documents: number;
  readonly empty_dropped: number;
  /** Bug rows without a summary or a description (NULL in the database): no document can be made of them. */
  readonly null_text_dropped: number;
  readonly cut: number;
  /** UTF-8 bytes of the documents\' text. */
  readonly text_bytes: number;
  readonly output_file: string | null;
  readonly output_bytes: number;
}

export type SeossProgress =
  | {
      readonly phase: "decompress";
      readonly member: string;
      readonly index: number;
      readonly total: number;
      readonly compressedBytes: number;
      readonly memberCompressedBytes: number;
      readonly decompressedBytes: number;
    }
  | {
      readonly phase: "export";
      readonly member: string;
      readonly index: number;
      readonly total: number;
      readonly rows: number;
    };

export interface SeossOptions extends DocumentOptions {
  readonly workDir: string;
  readonly outDir: string;
  readonly pool: BlockDecodePool;
  readonly onProgress?: (progress: SeossProgress) => void;
}

interface Member {
  readonly index: number;
  readonly entry: StreamZip.ZipEntry;
  readonly label: string;
}

const REQUIRED_COLUMNS = ["type", "summary", "description"] as const;
const ROWS_PER_SLICE = 1000;

/** Label = the member's file name before the first dot, upper-cased (`spark.sqlite3.bz2` -> `SPARK`). */
export function labelFromEntryName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  return (base.split(".")[0] ?? "").trim().toUpperCase();
}

/** Absolute, drive-qualified or `..`-climbing names: a zip-slip attempt or a broken archive. */
export function isUnsafeEntryName(name: string): boolean {
  return /^[\\/]/.test(name) || /^[a-zA-Z]:/.test(name) || name.split(/[\\/]/).includes("..");
}

export async function listSeossMembers(
  zip: InstanceType<typeof StreamZip.async>,
): Promise<{ members: Member[]; ignored: IgnoredEntry[] }> {
  const entries = Object.values(await zip.entries());
  const members: Member[] = [];
  const ignored: IgnoredEntry[] = [];
  for (const entry of entries) {
    if (entry.isDirectory) continue;
    const name = entry.name;
    const base = name.split(/[\\/]/).pop() ?? "";
    if (isUnsafeEntryName(name)) {
      ignored.push({ name, reason: "unsafe path (absolute or containing ..); not extracted" });
    } else if (name.startsWith("__MACOSX/") || base.startsWith("._")) {
      ignored.push({ name, reason: "macOS resource fork" });
    } else if (!/\.bz2$/i.test(base)) {
      ignored.push({ name, reason: "not a bzip2-compressed SQLite database (*.sqlite3.bz2)" });
    } else if (entry.encrypted) {
      throw new InputError(`zip member ${name} is encrypted; upload an unencrypted zip`);
    } else {
      const label = labelFromEntryName(name);
      if (label === "")
        ignored.push({ name, reason: "no project name before the first dot to use as label" });
      else members.push({ index: members.length, entry, label });
    }
  }
  return { members, ignored };
}

export async function openZip(path: string): Promise<InstanceType<typeof StreamZip.async>> {
  // Names are validated by isUnsafeEntryName so one hostile entry is reported instead of failing the archive.
  const zip = new StreamZip.async({ file: path, skipEntryNameValidation: true });
  try {
    await zip.entries();
  } catch (cause) {
    await zip.close().catch(() => undefined);
    throw new InputError(`not a readable zip archive (${(cause as Error).message})`, { cause });
  }
  return zip;
}

/**
 * Converts every member; decompression of member n+1 (worker threads) overlaps the SQLite export of member n
 * (main thread), and each database file is deleted as soon as it has been read.
 */
export async function convertSeossZip(
  zipPath: string,
  options: SeossOptions,
): Promise<{ members: MemberSummary[]; ignored: IgnoredEntry[] }> {
  const zip = await openZip(zipPath);
  try {
    const { members, ignored } = await listSeossMembers(zip);
    if (members.length === 0) {
      const seen = ignored.map((entry) => entry.name).join(", ") || "nothing";
      throw new InputError(`the zip holds no SQLite database members (*.sqlite3.bz2); found ${seen}`);
    }
    const summaries: MemberSummary[] = [];
    let exporting: Promise<void> = Promise.resolve();
    for (const member of members) {
      const dbPath = join(options.workDir, `member-${String(member.index).padStart(4, "0")}.sqlite3`);
      const databaseBytes = await decompressMember(zipPath, member, dbPath, members.length, options);
      await exporting;
      exporting = exportMember(member, dbPath, databaseBytes, members.length, options).then((summary) => {
        summaries.push(summary);
      });
      // Surfaced by the next `await exporting`; until then it must not count as unhandled.
      exporting.catch(() => undefined);
    }
    await exporting;
    return { members: summaries, ignored };
  } finally {
    await zip.close().catch(() => undefined);
  }
}

async function decompressMember(
  zipPath: string,
  member: Member,
  dbPath: string,
  total: number,
  options: SeossOptions,
): Promise<number> {
  const name = member.entry.name;
  const out = await open(dbPath, "w");
  try {
    const result = await bunzipToFile(
      readZipEntry(zipPath, member.entry),
      out,
      options.pool,
      ({ compressedBytes, decompressedBytes }) =>
        options.onProgress?.({
          phase: "decompress",
          member: name,
          index: member.index,
          total,
          compressedBytes,
          memberCompressedBytes: member.entry.compressedSize,
          decompressedBytes,
        }),
    );
    return result.decompressedBytes;
  } catch (error) {
    if (error instanceof InputError) throw error;
    if (error instanceof Bzip2DataError || error instanceof ZipDataError || isZlibDataError(error)) {
      throw new InputError(`zip member ${name} is corrupt or truncated: ${(error as Error).message}`, {
        cause: error,
      });
    }
    throw error;
  } finally {
    await out.close();
  }
}

/** zlib reports damaged deflated data with Z_* codes (Z_DATA_ERROR, Z_BUF_ERROR for a cut stream). */
function isZlibDataError(error: unknown): boolean {
  return /^Z_/.test(errorCode(error));
}

/** Errors from Node built-ins may come from another realm (jest's VM contexts): check the code, not the class. */
function errorCode(error: unknown): string {
  return typeof error === "object" && error !== null ? String((error as { code?: unknown }).code ?? "") : "";
}

function isSqliteError(error: unknown): error is Error {
  return errorCode(error) === "ERR_SQLITE_ERROR";
}

async function exportMember(
  member: Member,
  dbPath: string,
  databaseBytes: number,
  total: number,
  options: SeossOptions,
): Promise<MemberSummary> {
  const name = member.entry.name;
  const fileName = `${String(member.index).padStart(4, "0")}-${member.label.toLowerCase().replace(/[^a-z0-9]+/g, "-")}.csv`;
  const writer = new TrainingCsvWriter(join(options.outDir, fileName), options);
  // node:sqlite is loaded on first use: importing it prints an ExperimentalWarning on Node 22.
  const { DatabaseSync } = await import("node:sqlite");
  let db: InstanceType<typeof DatabaseSync> | undefined;
  let bugRows = 0;
  let nullText = 0;
  try {
    try {
      db = new DatabaseSync(dbPath, { readOnly: true });
      const table = db
        .prepare(
          "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name = 'issue' COLLATE NOCASE",
        )
        .get();
      if (!table) throw new InputError(`zip member ${name} has no issue table`);
      const columns = new Set(
        db
          .prepare("PRAGMA table_info(issue)")
          .all()
          .map((row) => String(row.name).toLowerCase()),
      );
      const missing = REQUIRED_COLUMNS.filter((column) => !columns.has(column));
      if (missing.length > 0) {
        throw new InputError(`zip member ${name}: issue table has no ${missing.join(", ")} column`);
      }
    } catch (error) {
      if (isSqliteError(error)) {
        throw new InputError(`zip member ${name} is not a readable SQLite database (${error.message})`, {
          cause: error,
        });
      }
      throw error;
    }
    // TEXT comes as its UTF-8 bytes (a BLOB cast), which the writer normalises without building strings; a
    // database stored in UTF-16 would cast to UTF-16 bytes, so it is read as text instead.
    const utf8 = String(db.prepare("PRAGMA encoding").get()?.encoding).toUpperCase() === "UTF-8";
    // Rows with a NULL part come back as a NULL text (one scan), so that they are counted, not silently lost.
    const rows = db
      .prepare(
        `SELECT ${utf8 ? "CAST(summary || ' ' || description AS BLOB)" : "summary || ' ' || description"} AS text ` +
          "FROM issue WHERE type = 'Bug'",
      )
      .iterate();
    for (;;) {
      let finished = false;
      for (let i = 0; i < ROWS_PER_SLICE; i++) {
        const next = rows.next();
        if (next.done) {
          finished = true;
          break;
        }
        bugRows++;
        const text = (next.value as { text: unknown }).text;
        if (text === null) {
          nullText++;
          continue;
        }
        // isView, not instanceof: jest runs tests in another realm than node:sqlite.
        if (ArrayBuffer.isView(text)) writer.addUtf8(member.label, text as Uint8Array);
        else writer.add(member.label, String(text));
      }
      await writer.flush();
      options.onProgress?.({ phase: "export", member: name, index: member.index, total, rows: bugRows });
      if (finished) break;
      // The scan is synchronous: yield so the decompression of the next member keeps its workers fed.
      await yieldToEventLoop();
    }
    await writer.close();
  } catch (error) {
    writer.destroy();
    if (isSqliteError(error)) {
      throw new InputError(`zip member ${name} is a damaged SQLite database (${error.message})`, {
        cause: error,
      });
    }
    throw error;
  } finally {
    db?.close();
    await rm(dbPath, { force: true });
  }
  const { stats } = writer;
  return {
    name,
    label: member.label,
    compressed_bytes: member.entry.compressedSize,
    database_bytes: databaseBytes,
    bug_rows: bugRows,
    documents: stats.documents,
    empty_dropped: stats.emptyDropped,
    null_text_dropped: nullText,
    cut: stats.cut,
    text_bytes: stats.textBytes,
    output_file: fileName,
    output_bytes: (await stat(writer.path)).size,
  };
}
