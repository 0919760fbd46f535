/**
 * Documents as sparse TF-IDF vectors over words and word pairs, in the manner of scikit-learn's
 * `TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2)` (the accuracy anchor), except that terms are
 * hashed into a fixed number of buckets instead of kept in a vocabulary: memory stays flat however many distinct
 * word pairs a dataset has.
 */

/** Tokens as scikit-learn's default pattern `(?u)\b\w\w+\b` finds them, on lower-cased text. */
const TOKEN = /[\p{L}\p{N}_\p{M}]{2,}/gu;

export const DEFAULT_HASH_BITS = 20;

/** FNV-1a over the UTF-16 code units: fast, and good enough spread for hashing features. */
function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** A word pair's hash from its words' hashes, without building the pair's string. */
function pairHash(first: number, second: number): number {
  let hash = Math.imul(first ^ 0x9e3779b9, 0x85ebca6b) ^ second;
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return (hash ^ (hash >>> 16)) >>> 0;
}

export interface SparseVector {
  readonly indices: Uint32Array;
  readonly values: Float32Array;
}

/** A document's hashed terms (words and word pairs) and how often each occurs, in bucket order. */
export interface TermCounts {
  readonly indices: Uint32Array;
  readonly counts: Uint16Array;
}

export function termCounts(text: string, bits = DEFAULT_HASH_BITS): TermCounts {
  const counted = countTerms(text, (1 << bits) - 1);
  const indices = Uint32Array.from(counted.keys()).sort();
  return {
    indices,
    counts: Uint16Array.from(indices, (index) => Math.min(counted.get(index) as number, 65535)),
  };
}

function countTerms(text: string, mask: number): Map<number, number> {
  const counts = new Map<number, number>();
  let previous = -1;
  for (const match of text.toLowerCase().matchAll(TOKEN)) {
    const word = hashString(match[0]);
    const unigram = word & mask;
    counts.set(unigram, (counts.get(unigram) ?? 0) + 1);
    if (previous >= 0) {
      const bigram = pairHash(previous, word) & mask;
      counts.set(bigram, (counts.get(bigram) ?? 0) + 1);
    }
    previous = word;
  }
  return counts;
}

export interface Vectorizer {
  readonly bits: number;
  /** Inverse document frequency per bucket; 0 for buckets seen in fewer than min_df training documents. */
  readonly idf: Float32Array;
}

/** Learns IDF from the training documents' term counts: smooth IDF as scikit-learn computes it. */
export function fitVectorizer(
  training: readonly TermCounts[],
  bits = DEFAULT_HASH_BITS,
  minDf = 2,
): Vectorizer {
  const df = new Uint32Array(1 << bits);
  for (const { indices } of training) for (const bucket of indices) df[bucket] = (df[bucket] as number) + 1;
  const n = training.length;
  const idf = new Float32Array(1 << bits);
  for (let bucket = 0; bucket < df.length; bucket++) {
    const seen = df[bucket] as number;
    if (seen >= minDf) idf[bucket] = Math.log((1 + n) / (1 + seen)) + 1;
  }
  return { bits, idf };
}

/** Sublinear TF times IDF, L2-normalised; buckets without IDF (rare terms) are left out. */
export function vectorize(terms: TermCounts, vectorizer: Vectorizer): SparseVector {
  const indices: number[] = [];
  const values: number[] = [];
  let norm = 0;
  for (let j = 0; j < terms.indices.length; j++) {
    const bucket = terms.indices[j] as number;
    const idf = vectorizer.idf[bucket] as number;
    if (idf === 0) continue;
    const value = (1 + Math.log(terms.counts[j] as number)) * idf;
    indices.push(bucket);
    values.push(value);
    norm += value * value;
  }
  const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  return { indices: Uint32Array.from(indices), values: Float32Array.from(values, (v) => v * scale) };
}
