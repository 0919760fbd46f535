/**
 * The one order labels are listed in, in every email and summary: most documents first, then by name, so
 * the big classes lead and the small ones (nearest Comprehend's minimum) close the list.
 */
export function labelsByDocumentCount(labelCounts: Readonly<Record<string, number>>): [string, number][] {
  return Object.entries(labelCounts).sort(([a, n], [b, m]) => m - n || a.localeCompare(b));
}
