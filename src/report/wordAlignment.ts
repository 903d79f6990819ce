// Which source word each translated word attended to most: the compact alignment shown in the
// hover, read off the head- and layer-averaged cross-attention, with sub-word pieces joined.

import type { Token, Translation } from '../protocol/inspection';

export interface AlignedPair {
  readonly source: string;
  readonly target: string;
  readonly weight: number;
}

interface Word {
  readonly text: string;
  readonly tokens: readonly number[];
  readonly end: number;
}

const WORDLESS = /^[\s\u2581\p{P}\p{S}]*$/u;
const JOINABLE = /[\p{Script=Latin}\p{N}'’-]/u;

/** Tokens grouped into words: Latin pieces written together form one word; CJK tokens stand alone. */
export function groupWords(tokens: readonly Token[]): Word[] {
  const words: { text: string; tokens: number[]; end: number }[] = [];
  tokens.forEach((token, index) => {
    if (token.special || WORDLESS.test(token.text)) return;
    const text = token.text.trim();
    const last = words.at(-1);
    if (last && token.start === last.end && JOINABLE.test(last.text.at(-1) ?? '') && JOINABLE.test(text[0] ?? '')) {
      last.text += text;
      last.tokens.push(index);
      last.end = token.end;
    } else {
      words.push({ text, tokens: [index], end: token.end });
    }
  });
  return words;
}

/** One pair per translated word, in output order. */
export function wordAlignment(translation: Translation): AlignedPair[] {
  const alignment = translation.alignment;
  if (!alignment) return [];
  const [generated, sourceLength] = alignment.dims;
  const sources = groupWords(translation.sourceTokens);
  const targets = groupWords(translation.tokens).filter((word) => word.tokens.every((index) => index < generated));
  if (sources.length === 0) return [];
  return targets.map((target) => {
    // A word's attention: the mean of its pieces' rows, summed over each source word's pieces.
    const weightOf = (source: Word) =>
      target.tokens.reduce((sum, row) => sum + source.tokens.reduce((inner, column) => inner + alignment.data[row * sourceLength + column], 0), 0) / target.tokens.length;
    let best = sources[0];
    let bestWeight = weightOf(best);
    for (const source of sources.slice(1)) {
      const weight = weightOf(source);
      if (weight > bestWeight) [best, bestWeight] = [source, weight];
    }
    return { source: best.text, target: target.text, weight: bestWeight };
  });
}
