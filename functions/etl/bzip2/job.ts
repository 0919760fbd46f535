import { BlockCorruptError, BlockDecoder, BlockTruncatedError } from "./block-decoder";

/** One block to decode: `bytes` holds the block's bits from `startBit` to `endBit` (plus zero padding). */
export interface BlockJob {
  readonly id: number;
  readonly bytes: Uint8Array;
  readonly startBit: number;
  readonly endBit: number;
  readonly maxBlockSize: number;
}

export type BlockResult =
  | {
      readonly id: number;
      readonly ok: true;
      readonly data: Uint8Array;
      readonly storedCrc: number;
      readonly endBit: number;
    }
  | { readonly id: number; readonly ok: false; readonly truncated: boolean; readonly message: string };

const decoder = new BlockDecoder();

/**
 * A 1,246-byte bzip2 stream touching every decoder path (all 256 byte values, long codes, runs): python3 -c
 * "import bz2; bz2.compress(b'Warm-up: every byte value, runs and text. ' + bytes(range(256)) * 2 + b'a' * 40
 * + bytes(300) + b'the quick brown fox jumps over the lazy dog ' * 8, 1)". Decoding it first gives V8 type
 * feedback for every branch; otherwise each real block's long loops are compiled on the fly (OSR) without it
 * and deoptimized at their exits, block after block, which costs about a third of the decoding speed.
 */
const WARM_UP =
  "QlpoMTFBWSZTWXOXWWgAAIb/////////////////////////////////////////////wAH8AAJMABMAATAAAAAAAAAAAAAAAAAA" +
  "AAAAAAAAAAAAAAAAAAABJgAJgACYAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAJMABMAATAAAAAAAAAAAAAAAAAAAAAAAAAAA" +
  "AAAAAAAAAAAKqpT000xCNkQTBD1GjIZPUGAm0RiG1MmnoEbJGgBpmgNMh6iMjINBkYhpoAwJoNGmCYCNGRpo0aNMACNMQ0Mg0Ynp" +
  "yK9BJ2ogkqhpZERUZLphMqmqiaR0hNpxVVWVdWHMKyrStq4rrmXNObTqe51fMLfxJgFswYkikEMVIWWkpxGgQIVhTzpF+6Z0rp1j" +
  "WRZVjsyzpm0JClw1qVxPrWtjqXVLaty3urdYp7g55QOuXFcnXrm7BQrouq7LuvDsXZLyolGvTs3aL27V2zt3cO5d06ju3eO9Xx3y" +
  "+r8pF/W2BSYBiJmZpxDSkAwamFDSoQpgteIuiYgErCt6CMOMMhBdUQRUwlhLjDoIvKavEhFEkQqBKSBNooiCaErHSwn0MTYjVUSU" +
  "KFLwxLqKjhhQ0aRGE4IlzrKJHFTkIIrSpCUqyJiRNx04JCExTv3gMWxjwXhMaxzw3iPFeMx7x3kPJeUyDIvLeYyTJso815zz2Veg" +
  "yz0XpPTeo9V6z13sMuzDMs0zbOPZZ17T23uPdZ57z32ffA0DQtE0bSPhaVpmnahqWqat8T42sfI+VrWufM+dr30Ng+l9TYvrfY2T" +
  "7X3Nm+9tG1bZt24blum7bxvW+b9+D8XAfk4LhOG/N+j9XEfs/d/DiuM/l/T+3+OO/1/zkNlyXJcp/6ocsXckU4UJBzl1loA=";

function warmUp(): void {
  const stream = Buffer.from(WARM_UP, "base64");
  for (let i = 0; i < 100; i++) decoder.decode(stream, 32, stream.length * 8);
}

warmUp();

/** Runs in a worker (or inline); failures come back as values so the caller can tell a false boundary from damage. */
export function decodeJob(job: BlockJob): BlockResult {
  try {
    const block = decoder.decode(job.bytes, job.startBit, job.endBit, job.maxBlockSize);
    // Each block's output is a fresh buffer: the worker transfers it without copying.
    return {
      id: job.id,
      ok: true,
      data: block.data,
      storedCrc: block.storedCrc,
      endBit: block.endBit,
    };
  } catch (error) {
    if (error instanceof BlockTruncatedError || error instanceof BlockCorruptError) {
      return {
        id: job.id,
        ok: false,
        truncated: error instanceof BlockTruncatedError,
        message: error.message,
      };
    }
    throw error;
  }
}
