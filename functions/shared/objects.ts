import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";

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
