/** "Did you mean" hints for unknown keys and enum values. */
import { RENAMED_KEYS, type SchemaNode } from './schema.js';

/**
 * Optimal-string-alignment (Damerau) distance: insertions, deletions, substitutions and
 * transpositions of two neighbours each cost one, so `recordigns` is one edit from `recordings`.
 */
export function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, (before[j - 2] ?? 0) + 1);
      row.push(d);
    }
    before = prev;
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/**
 * The closest candidate within a typo's distance, if any: by default about one edit per three
 * letters; `maxDistance` caps it (the CLI's did-you-mean allows at most two).
 */
export function nearest(
  word: string,
  candidates: readonly string[],
  maxDistance?: number,
): string | undefined {
  const byLength = Math.max(1, Math.floor(word.length / 3));
  const limit = maxDistance === undefined ? byLength : Math.min(maxDistance, Math.max(byLength, 1));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Every dotted key path of the schema (map entries shown as `<name>`). */
function allKeyPaths(node: SchemaNode, prefix: string): string[] {
  if (node.kind === 'section') {
    return Object.entries(node.fields).flatMap(([k, child]) => {
      const path = prefix === '' ? k : `${prefix}.${k}`;
      return [path, ...allKeyPaths(child, path)];
    });
  }
  if (node.kind === 'map') return allKeyPaths(node.of, `${prefix}.<name>`);
  return [];
}

export function unknownKeyMessage(
  schema: SchemaNode,
  fullPath: string,
  key: string,
  siblings: readonly string[],
): string {
  const renamed = RENAMED_KEYS[fullPath];
  if (renamed !== undefined) return `unknown key: it was renamed, use ${renamed} instead`;
  const parent = fullPath.slice(0, fullPath.length - key.length);
  const near = nearest(key, siblings);
  if (near !== undefined) return `unknown key; did you mean ${parent}${near}?`;
  const elsewhere = allKeyPaths(schema, '').filter((p) => p === key || p.endsWith(`.${key}`));
  if (elsewhere.length > 0) return `unknown key here; did you mean ${elsewhere.join(' or ')}?`;
  return `unknown key; the keys here are: ${siblings.join(', ')}`;
}
