// A synthetic Inspection as big as real ones get (default 12 layers × 12 heads × 512 tokens, hidden
// 768), deterministic, with the attention patterns real heads show: for scale tests and benchmarks.

import type { Inspection, Tensor, Token } from '../../src/protocol/inspection';

export interface SyntheticOptions {
  readonly layers?: number;
  readonly heads?: number;
  readonly tokens?: number;
  readonly hidden?: number;
  readonly seed?: number;
}

/** mulberry32: small, fast, seedable (a failing case replays from its seed). */
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

const WORDS = ['the', 'model', 'reads', 'every', 'token', 'and', 'attention', 'heads', 'look', 'back', 'at', 'earlier', 'words', 'in', 'a', 'sentence', 'layer', 'by', 'layer', '.'];

function syntheticTokens(count: number): { tokens: Token[]; text: string } {
  const tokens: Token[] = [{ id: 101, text: '[CLS]', start: 0, end: 0, special: true }];
  let text = '';
  for (let i = 1; i < count - 1; i++) {
    const word = WORDS[(i * 7) % WORDS.length];
    // Every fifth word is split into two pieces, as subword tokenizers do.
    if (i % 5 === 0 && word.length > 3 && i < count - 2) {
      const start = text.length + (text ? 1 : 0);
      text += (text ? ' ' : '') + word;
      tokens.push({ id: 1000 + i, text: word.slice(0, 2), start, end: start + 2, special: false });
      tokens.push({ id: 2000 + i, text: word.slice(2), start: start + 2, end: start + word.length, special: false });
      i++;
      continue;
    }
    const start = text.length + (text ? 1 : 0);
    text += (text ? ' ' : '') + word;
    tokens.push({ id: 1000 + i, text: word, start, end: start + word.length, special: false });
  }
  tokens.push({ id: 102, text: '[SEP]', start: text.length, end: text.length, special: true });
  return { tokens: tokens.slice(0, count), text };
}

/** One head: each row a softmax over pattern scores plus noise (previous token, first token, self, local, sparse). */
function fillHead(out: Float32Array, offset: number, n: number, pattern: number, next: () => number): void {
  const logits = new Float64Array(n);
  const sparse = Array.from({ length: 4 }, () => Math.floor(next() * n));
  for (let q = 0; q < n; q++) {
    let max = -Infinity;
    for (let k = 0; k < n; k++) {
      let score = next() * 1.5;
      if (pattern === 0 && k === q - 1) score += 6;
      else if (pattern === 1 && k === 0) score += 7;
      else if (pattern === 2 && k === q) score += 6;
      else if (pattern === 3 && Math.abs(k - q) <= 2) score += 4;
      else if (pattern === 4 && sparse.includes(k)) score += 5;
      logits[k] = score;
      if (score > max) max = score;
    }
    let sum = 0;
    for (let k = 0; k < n; k++) sum += logits[k] = Math.exp(logits[k] - max);
    const row = offset + q * n;
    for (let k = 0; k < n; k++) out[row + k] = logits[k] / sum;
  }
}

export function syntheticInspection(options: SyntheticOptions = {}): Inspection {
  const { layers = 12, heads = 12, tokens: count = 512, hidden = 768, seed = 7 } = options;
  const next = seededRandom(seed);
  const { tokens, text } = syntheticTokens(count);
  const n = tokens.length;
  const attention = new Float32Array(layers * heads * n * n);
  for (let l = 0; l < layers; l++) for (let h = 0; h < heads; h++) fillHead(attention, (l * heads + h) * n * n, n, (l * 5 + h * 3) % 6, next);
  // Embeddings: a few word clusters plus noise; each layer adds a drift and a position signal.
  const centres = Array.from({ length: WORDS.length }, () => Float32Array.from({ length: hidden }, () => next() * 2 - 1));
  const embeddings = new Float32Array(n * hidden);
  tokens.forEach((token, t) => {
    const centre = centres[token.id % WORDS.length];
    for (let d = 0; d < hidden; d++) embeddings[t * hidden + d] = centre[d] + (next() - 0.5) * 0.4;
  });
  const hiddenStates = new Float32Array((layers + 1) * n * hidden);
  hiddenStates.set(embeddings);
  for (let l = 1; l <= layers; l++) {
    const drift = Float32Array.from({ length: hidden }, () => (next() - 0.5) * 0.6);
    for (let t = 0; t < n; t++) for (let d = 0; d < hidden; d++) {
      const previous = hiddenStates[((l - 1) * n + t) * hidden + d];
      hiddenStates[(l * n + t) * hidden + d] = previous * 1.05 + drift[d] + Math.sin((t * (d % 7 + 1)) / n) * 0.1 * l + (next() - 0.5) * 0.2;
    }
  }
  const tensor = (dims: number[], data: Float32Array): Tensor => ({ dims, data });
  return {
    modelName: `synthetic-${layers}x${heads}x${n}`,
    family: 'encoder-only',
    executionProvider: 'CPU',
    text,
    stacks: [{ stack: 'encoder', tokens, hiddenStates: tensor([layers + 1, n, hidden], hiddenStates), embeddings: tensor([n, hidden], embeddings) }],
    attention: [{ stack: 'encoder', kind: 'self', tensor: tensor([layers, heads, n, n], attention) }],
    timingsMs: { total: 0 },
    notices: [],
  };
}
