/**
 * The folder a local command writes to (`--out`): created when missing, refused when it is a file or already
 * holds what the command writes (a second run would mix with or overwrite the first), and removed again when
 * the command created it and then failed, so a failure leaves nothing behind.
 */
import { mkdir, readdir, rm, stat } from "node:fs/promises";

export class OutDirError extends Error {
  override readonly name = "OutDirError";
}

export async function claimOutDir(
  out: string,
  isOurs: (name: string) => boolean,
): Promise<{ created: boolean }> {
  const found = await stat(out).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  if (found && !found.isDirectory()) {
    throw new OutDirError(`--out ${out} is a file; name a folder (it is created when missing)`);
  }
  if (found) {
    const ours = (await readdir(out)).filter(isOurs);
    if (ours.length > 0) {
      throw new OutDirError(`${out} already holds ${ours.join(", ")}; choose an empty --out folder`);
    }
    return { created: false };
  }
  await mkdir(out, { recursive: true });
  return { created: true };
}

/** After a failure: the folder goes again if this run created it. */
export async function releaseOutDir(out: string, claim: { created: boolean }): Promise<void> {
  if (claim.created) await rm(out, { recursive: true, force: true });
}
