// Corpus chrF2 as sacreBLEU 2.x computes it (character 1–6-grams, whitespace ignored, β = 2;
// statistics summed over sentences, precision and recall averaged over the orders that occur),
// the same definition as training/metrics.py, for scoring what the engine itself writes.

const ORDER = 6;
const BETA = 2;

function charNgrams(text: string): Map<string, number>[] {
  const chars = [...text.replace(/\s+/g, '')];
  return Array.from({ length: ORDER }, (_, i) => {
    const n = i + 1;
    const counts = new Map<string, number>();
    for (let at = 0; at + n <= chars.length; at++) {
      const gram = chars.slice(at, at + n).join('');
      counts.set(gram, (counts.get(gram) ?? 0) + 1);
    }
    return counts;
  });
}

const total = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);

/** Per order: hypothesis n-grams, reference n-grams, matches. */
function sentenceStats(hypothesis: string, reference: string): number[] {
  const h = charNgrams(hypothesis);
  const r = charNgrams(reference);
  return h.flatMap((hc, n) => {
    const rc = r[n];
    let match = 0;
    for (const [gram, count] of hc) match += Math.min(count, rc.get(gram) ?? 0);
    return [rc.size ? total(hc) : 0, total(rc), match];
  });
}

function fScore(stats: readonly number[]): number {
  let precision = 0;
  let recall = 0;
  let orders = 0;
  for (let n = 0; n < ORDER; n++) {
    const [hyp, ref, match] = stats.slice(3 * n, 3 * n + 3);
    if (hyp > 0 && ref > 0) {
      precision += match / hyp;
      recall += match / ref;
      orders++;
    }
  }
  if (orders === 0) return 0;
  precision /= orders;
  recall /= orders;
  const factor = BETA * BETA;
  return precision + recall ? (100 * (1 + factor) * precision * recall) / (factor * precision + recall) : 0;
}

export function chrf(hypotheses: readonly string[], references: readonly string[]): number {
  const sums = new Array<number>(3 * ORDER).fill(0);
  hypotheses.forEach((hypothesis, i) => sentenceStats(hypothesis, references[i]).forEach((value, k) => (sums[k] += value)));
  return fScore(sums);
}
