import {
  GetObjectCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from "@aws-sdk/client-s3";

/** Whether a marker object exists; a 404 says no, any other error is not an answer and is thrown. */
export async function objectExists(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    if ((error as Error).name === "NotFound" || (error as Error).name === "NoSuchKey") return false;
    throw error;
  }
}

/** An object's content as UTF-8 text, the version named or the current one. */
export async function readText(
  s3: S3Client,
  bucket: string,
  key: string,
  versionId?: string,
): Promise<string> {
  const output = await s3.send(
    new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }),
  );
  return (await output.Body?.transformToString("utf8")) ?? "";
}

/**
 * The text, or undefined when there is no such object. A caller allowed to read only some keys (no
 * s3:ListBucket) passes "AccessDenied" too: S3 then answers a missing key with 403 instead of 404.
 */
export async function readTextIfPresent(
  s3: S3Client,
  bucket: string,
  key: string,
  missing: readonly string[] = ["NoSuchKey"],
): Promise<string | undefined> {
  try {
    return await readText(s3, bucket, key);
  } catch (error) {
    if (missing.includes((error as Error).name)) return undefined;
    throw error;
  }
}

export interface ListedObject {
  readonly key: string;
  readonly modified: Date;
}

/** Every object under a prefix (after `startAfter`, in key order), following ListObjectsV2's continuation tokens. */
export async function listObjects(
  s3: S3Client,
  bucket: string,
  prefix: string,
  startAfter?: string,
): Promise<ListedObject[]> {
  const found: ListedObject[] = [];
  const input = { Bucket: bucket, Prefix: prefix, ...(startAfter ? { StartAfter: startAfter } : {}) };
  for await (const page of paginateListObjectsV2({ client: s3 }, input)) {
    for (const object of page.Contents ?? []) {
      if (object.Key) found.push({ key: object.Key, modified: object.LastModified ?? new Date(0) });
    }
  }
  return found;
}
