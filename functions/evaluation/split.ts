/** Reproducible, label-stratified ways to hold documents out for testing. */

/** A small seeded generator (mulberry32): the same seed gives the same split on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function byLabel(labels: readonly number[]): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  labels.forEach((label, index) => {
    const group = groups.get(label) ?? [];
    group.push(index);
    groups.set(label, group);
  });
  return groups;
}

/** Each label's documents split in the same proportion; every label keeps at least one on each side. */
export function stratifiedHoldout(
  labels: readonly number[],
  testShare: number,
  seed: number,
): { train: number[]; test: number[] } {
  const random = seededRandom(seed);
  const train: number[] = [];
  const test: number[] = [];
  for (const [, indices] of [...byLabel(labels)].sort(([a], [b]) => a - b)) {
    const mixed = shuffled(indices, random);
    const held =
      mixed.length < 2 ? 0 : Math.min(mixed.length - 1, Math.max(1, Math.round(mixed.length * testShare)));
    test.push(...mixed.slice(0, held));
    train.push(...mixed.slice(held));
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}

/** k folds with each label spread over them evenly: fold f tests its documents and trains on the others. */
export function stratifiedFolds(labels: readonly number[], k: number, seed: number): number[][] {
  const random = seededRandom(seed);
  const folds: number[][] = Array.from({ length: k }, () => []);
  let next = 0;
  for (const [, indices] of [...byLabel(labels)].sort(([a], [b]) => a - b)) {
    for (const index of shuffled(indices, random)) {
      (folds[next % k] as number[]).push(index);
      next++;
    }
  }
  return folds.map((fold) => fold.sort((a, b) => a - b));
}
