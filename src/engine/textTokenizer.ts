// Tokenization through @huggingface/tokenizers, plus what it does not give: each token's
// character span in the source text, found by aligning token surfaces to the text.

import { Tokenizer } from '@huggingface/tokenizers';
import type { Token } from '../protocol/inspection';
import { EngineError } from './engineError';
import { regexPatternsOf, tokenizeWithinTime, TokenizerPattern } from './tokenizerTimeLimit';

export interface EncodeOptions {
  readonly addSpecialTokens?: boolean;
}

/** Two segments joined for display: token spans of a pair index into `a + PAIR_SEPARATOR + b`. */
export const PAIR_SEPARATOR = '\n';

export interface EncodedPair {
  readonly tokens: Token[];
  /** The tokenizer's segment of each token: 0 for the first text (and its specials), 1 for the second. */
  readonly typeIds: number[];
  readonly text: string;
}

export class TextTokenizer {
  private readonly tokenizer: Tokenizer;
  readonly specialIds: ReadonlySet<number>;
  private readonly unknownId?: number;
  private readonly subwordPrefix?: string;
  private readonly folding: Folding;
  private readonly unknownIsWord: boolean;
  private readonly patterns: readonly TokenizerPattern[];

  constructor(tokenizerJson: object, tokenizerConfig: object) {
    this.patterns = regexPatternsOf(tokenizerJson);
    try {
      this.tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
      this.withinTime(() => 'probe', () => this.tokenizer.encode('probe'));
    } catch (error) {
      throw new EngineError('tokenizer', `tokenizer.json could not be loaded: ${(error as Error).message}`);
    }
    const json = tokenizerJson as {
      added_tokens?: { id: number; special?: boolean }[];
      model?: { unk_token?: string; unk_id?: number; continuing_subword_prefix?: string };
    };
    this.specialIds = new Set((json.added_tokens ?? []).filter((token) => token.special).map((token) => token.id));
    const unknownToken = json.model?.unk_token;
    this.unknownId = json.model?.unk_id ?? (unknownToken ? this.tokenizer.token_to_id(unknownToken) : undefined);
    this.subwordPrefix = json.model?.continuing_subword_prefix ?? undefined;
    this.folding = foldingOf((tokenizerJson as { normalizer?: unknown }).normalizer);
    this.unknownIsWord = (json.model as { type?: string } | undefined)?.type === 'WordPiece';
  }

  idOf(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }

  tokenOf(id: number): string | undefined {
    return this.tokenizer.id_to_token(id);
  }

  decode(ids: readonly number[], skipSpecialTokens = true): string {
    // The library refuses an empty list; an empty translation is legitimate.
    if (ids.length === 0) return '';
    return this.withinTime(() => ids.map((id) => this.tokenOf(id) ?? '').join(' '), () => this.tokenizer.decode([...ids], { skip_special_tokens: skipSpecialTokens }));
  }

  /** Token ids with their spans in `text` (UTF-16 offsets, end exclusive). */
  encode(text: string, options: EncodeOptions = {}): Token[] {
    return this.withinTime(() => text, () => {
      let encoding: { ids: number[]; tokens: string[] };
      try {
        encoding = this.tokenizer.encode(text, { add_special_tokens: options.addSpecialTokens ?? true });
      } catch (error) {
        throw new EngineError('tokenizer', `The tokenizer failed on this text: ${(error as Error).message}`);
      }
      return this.align(text, encoding.ids, encoding.tokens);
    });
  }

  /** A sentence pair through the tokenizer's pair template ([CLS] A [SEP] B [SEP], <s> A </s></s> B </s>, …). */
  encodePair(text: string, pair: string): EncodedPair {
    const joined = `${text}${PAIR_SEPARATOR}${pair}`;
    return this.withinTime(() => joined, () => {
      let encoding: { ids: number[]; tokens: string[]; token_type_ids?: number[] };
      try {
        encoding = this.tokenizer.encode(text, { text_pair: pair, add_special_tokens: true, return_token_type_ids: true });
      } catch (error) {
        throw new EngineError('tokenizer', `The tokenizer failed on this sentence pair: ${(error as Error).message}`);
      }
      const typeIds = encoding.token_type_ids ?? encoding.ids.map(() => 0);
      return { tokens: this.align(joined, encoding.ids, encoding.tokens), typeIds, text: joined };
    });
  }

  /** Generated ids with their spans in the text they decode to. */
  alignIds(text: string, ids: readonly number[]): Token[] {
    return this.withinTime(() => text, () => this.align(text, ids, ids.map((id) => this.tokenOf(id) ?? '')));
  }

  /** Work that runs the tokenizer's regular expressions, stopped past the time limit; `text`: what they ran on. */
  private withinTime<T>(text: () => string, task: () => T): T {
    return tokenizeWithinTime(task, text, this.patterns);
  }

  /** Tokens for ids that were not produced from a source text (e.g. generated ones). */
  describe(ids: readonly number[]): Token[] {
    return ids.map((id) => ({ id, text: this.tokenOf(id) ?? String(id), start: 0, end: 0, special: this.specialIds.has(id) }));
  }

  private surface(id: number, token: string): string | undefined {
    if (this.specialIds.has(id) || id === this.unknownId) return undefined;
    let surface = this.tokenizer.decode([id], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
    if (this.subwordPrefix && surface.startsWith(this.subwordPrefix) && token.startsWith(this.subwordPrefix)) {
      surface = surface.slice(this.subwordPrefix.length);
    }
    const folded = foldForMatching(surface.replace(/\u2581/g, ' '), this.folding).text;
    // A token holding part of a UTF-8 sequence decodes to U+FFFD: its span comes from its neighbours.
    return folded.length === 0 || folded.includes('\ufffd') ? undefined : folded;
  }

  /** A token that stands for the space between words (SentencePiece's ▁, byte-level Ġ). */
  private isWordBoundary(id: number, token: string): boolean {
    if (/^[\s\u2581]*$/.test(token)) return true;
    return /^\s+$/.test(this.tokenizer.decode([id], { skip_special_tokens: false, clean_up_tokenization_spaces: false }));
  }

  private align(text: string, ids: readonly number[], tokens: readonly string[]): Token[] {
    const source = foldForMatching(text, this.folding);
    const spans: ({ start: number; end: number } | undefined)[] = [];
    let cursor = 0;
    ids.forEach((id, i) => {
      const surface = this.surface(id, tokens[i]);
      if (surface === undefined) {
        spans.push(undefined);
        // WordPiece writes one [UNK] for a whole word it cannot spell: what follows starts after it.
        if (id === this.unknownId && this.unknownIsWord) cursor = wordEnd(text, source, cursor);
        return;
      }
      // Normalizers may drop characters; a match far ahead is more likely a wrong one.
      const at = findSurface(source, surface, cursor, this.folding);
      if (at < 0) {
        spans.push(undefined);
        return;
      }
      const last = at + surface.length - 1;
      spans.push({ start: source.origin[at], end: source.origin[last] + source.width[last] });
      cursor = at + surface.length;
    });
    // [UNK] is special in the vocabulary but stands for real text.
    const special = ids.map((id) => this.specialIds.has(id) && id !== this.unknownId);
    const filled = fillGaps(text, spans, special, ids.map((id, i) => this.isWordBoundary(id, tokens[i])));
    let lastEnd = 0;
    return ids.map((id, i) => {
      const span = special[i] ? { start: lastEnd, end: lastEnd } : filled[i];
      lastEnd = Math.max(lastEnd, span.end);
      return { id, text: text.slice(span.start, span.end) || tokens[i], start: span.start, end: span.end, special: special[i] };
    });
  }
}

/** Folded characters a token's text may start after the previous token's end. */
const MAX_SKIP = 64;

/**
 * Where `surface` next occurs in the folded text, at most MAX_SKIP characters after `from` (so
 * each token costs a bounded search); under a composing normalizer, not just before a combining mark.
 */
function findSurface(source: ReturnType<typeof foldForMatching>, surface: string, from: number, folding: Folding): number {
  const near = source.text.slice(from, from + MAX_SKIP + surface.length);
  for (let found = near.indexOf(surface); found >= 0; found = near.indexOf(surface, found + 1)) {
    const at = from + found;
    // Under NFC "a" is not the token for "á" (a + U+0301): the model saw one composed character.
    const end = at + surface.length;
    const next = source.text[end] ?? '';
    const adjacent = source.origin[end] === source.origin[end - 1] + source.width[end - 1] || source.origin[end] === source.origin[end - 1];
    const composed = folding.composes && adjacent && /\p{M}/u.test(next) && (source.text[end - 1] + next).normalize('NFC').length === 1;
    if (!composed) return at;
  }
  return -1;
}

/** BERT's pre-tokenizer splits at whitespace and punctuation, and around every CJK character. */
const SPLITS_WORDS = /[\p{P}\p{Script=Han}!-/:-@[-`{-~]/u;

/** End (in folded text) of the pre-token that starts at `from`. */
function wordEnd(text: string, source: ReturnType<typeof foldForMatching>, from: number): number {
  if (from >= source.text.length) return from;
  if (SPLITS_WORDS.test(source.text[from])) return from + 1;
  let at = from + 1;
  // Whitespace was folded away: look for it in the source between two folded characters.
  const spaceBefore = (i: number) => /\s/.test(text.slice(source.origin[i - 1] + source.width[i - 1], source.origin[i]));
  while (at < source.text.length && !SPLITS_WORDS.test(source.text[at]) && !spaceBefore(at)) at++;
  return at;
}

interface Span {
  readonly start: number;
  readonly end: number;
}

/**
 * Spans for the tokens that could not be aligned (unknown words, byte pieces of one character,
 * word-boundary marks), shared out in order over the text between their aligned neighbours:
 * one word each where there are enough words, else one character each; spans never partly overlap.
 * A word-boundary token gets the space before the next token's text.
 */
function fillGaps(text: string, spans: readonly (Span | undefined)[], special: readonly boolean[], whitespace: readonly boolean[]): Span[] {
  const out: Span[] = spans.map((span) => span ?? { start: 0, end: 0 });
  let i = 0;
  let before = 0;
  while (i < spans.length) {
    if (spans[i]) {
      before = spans[i]!.end;
      i++;
      continue;
    }
    let j = i;
    while (j < spans.length && !spans[j]) j++;
    const after = j < spans.length ? spans[j]!.start : text.length;
    const run = [...Array(j - i).keys()].map((k) => i + k).filter((index) => !special[index]);
    shareOut(text, Math.min(before, after), after, run, whitespace, out);
    i = j;
  }
  return out;
}

function shareOut(text: string, before: number, after: number, run: readonly number[], whitespace: readonly boolean[], out: Span[]): void {
  const content = run.filter((index) => !whitespace[index]);
  if (content.length === 0) {
    // Only word-boundary tokens: they share the space between the words, in order.
    const width = after - before;
    run.forEach((index, k) => (out[index] = { start: before + Math.floor((k * width) / run.length), end: before + Math.floor(((k + 1) * width) / run.length) }));
    return;
  }
  const words = [...text.slice(before, after).matchAll(/\S+/gu)].map((match) => ({ start: before + match.index!, end: before + match.index! + match[0].length }));
  // Word-boundary tokens cut the run into segments; as many segments as words: one word each
  // (byte-level BPE: Ġ, then the byte pieces of one word).
  const segments: number[][] = [];
  run.forEach((index, k) => {
    if (whitespace[index]) return;
    if (k === 0 || whitespace[run[k - 1]] || segments.length === 0) segments.push([]);
    segments.at(-1)!.push(index);
  });
  if (segments.length === words.length) segments.forEach((segment, i) => shareWithin(text, [words[i]], segment, out));
  else shareWithin(text, words, content, out);
  // Each word-boundary token runs from the text before it to the next content token's start.
  const nextStart: number[] = new Array(run.length);
  for (let k = run.length - 1, upcoming = after; k >= 0; k--) {
    nextStart[k] = upcoming;
    if (!whitespace[run[k]]) upcoming = out[run[k]].start;
  }
  let cursor = before;
  run.forEach((index, k) => {
    if (!whitespace[index]) {
      cursor = out[index].end;
      return;
    }
    const upcoming = Math.max(cursor, nextStart[k]);
    out[index] = { start: cursor, end: upcoming };
    cursor = upcoming;
  });
}

/**
 * `tokens` over `words` in order: whole words where there are enough, else characters; more
 * tokens than characters are byte pieces, each given the character its share of UTF-8 bytes starts in.
 */
function shareWithin(text: string, words: readonly Span[], tokens: readonly number[], out: Span[]): void {
  const m = tokens.length;
  if (words.length === 0) {
    tokens.forEach((index) => (out[index] = { start: 0, end: 0 }));
    return;
  }
  const units = m <= words.length ? words : words.flatMap(characters(text));
  if (m <= units.length) {
    tokens.forEach((index, k) => {
      const first = Math.floor((k * units.length) / m);
      const last = Math.floor(((k + 1) * units.length) / m) - 1;
      out[index] = { start: units[first].start, end: units[last].end };
    });
    return;
  }
  const bytes = units.map((unit) => new TextEncoder().encode(text.slice(unit.start, unit.end)).length);
  const total = bytes.reduce((sum, size) => sum + size, 0);
  let unit = 0;
  let unitEnd = bytes[0];
  tokens.forEach((index, k) => {
    const startByte = Math.floor((k * total) / m);
    while (startByte >= unitEnd && unit < units.length - 1) unitEnd += bytes[++unit];
    out[index] = units[unit];
  });
}

/** A word's characters (code points: a surrogate pair stays whole), as spans. */
function characters(text: string): (word: Span) => Span[] {
  return (word) => {
    const spans: Span[] = [];
    for (let at = word.start; at < word.end; ) {
      const width = (text.codePointAt(at) ?? 0) > 0xffff ? 2 : 1;
      spans.push({ start: at, end: Math.min(at + width, word.end) });
      at += width;
    }
    return spans;
  };
}

/** What a tokenizer's normalizer changes, so source and token surfaces are folded alike. */
export interface Folding {
  /** NFC, NFKC: a letter and the combining marks after it become one character. */
  readonly composes: boolean;
  readonly compatibility: boolean;
  readonly lowercase: boolean;
  readonly stripAccents: boolean;
  /** BERT's clean_text: control and format characters, NUL and U+FFFD (a lone surrogate) are dropped. */
  readonly dropsControl: boolean;
}

/** What BERT's clean_text removes (a lone surrogate reaches it as U+FFFD). */
const CLEANED = /^(?:[\p{Cc}\p{Cf}\ufffd]|[\ud800-\udfff])$/u;

const FOLD_EVERYTHING: Folding = { composes: true, compatibility: true, lowercase: true, stripAccents: true, dropsControl: false };
const NO_FOLDING: Folding = { composes: false, compatibility: false, lowercase: false, stripAccents: false, dropsControl: false };

/** The folding a tokenizer.json normalizer implies; unknown normalizers fold everything. */
export function foldingOf(normalizer: unknown): Folding {
  const spec = normalizer as { type?: string; normalizers?: unknown[]; lowercase?: boolean; strip_accents?: boolean | null; clean_text?: boolean } | null | undefined;
  if (!spec) return NO_FOLDING;
  switch (spec.type) {
    case 'Sequence': {
      const parts = (spec.normalizers ?? []).map(foldingOf);
      const any = (key: keyof Folding) => parts.some((part) => part[key]);
      return { composes: any('composes'), compatibility: any('compatibility'), lowercase: any('lowercase'), stripAccents: any('stripAccents'), dropsControl: any('dropsControl') };
    }
    case 'NFKC':
    case 'Precompiled':
      return { ...NO_FOLDING, composes: true, compatibility: true };
    case 'NFKD':
      return { ...NO_FOLDING, compatibility: true };
    case 'NFC':
      return { ...NO_FOLDING, composes: true };
    case 'Lowercase':
      return { ...NO_FOLDING, lowercase: true };
    case 'StripAccents':
      return { ...NO_FOLDING, stripAccents: true };
    case 'BertNormalizer':
      // BERT strips accents whenever it lowercases, unless told otherwise.
      return { ...NO_FOLDING, lowercase: spec.lowercase !== false, stripAccents: spec.strip_accents ?? spec.lowercase !== false, dropsControl: spec.clean_text !== false };
    case 'NFD':
    case 'Replace':
    case 'Strip':
    case 'Prepend':
      return NO_FOLDING;
    default:
      return FOLD_EVERYTHING;
  }
}

/**
 * Text folded as the tokenizer's normalizer folds it (decomposed, then as `folding` says:
 * compatibility forms, case, accents), whitespace removed, with each folded character's origin.
 */
export function foldForMatching(text: string, folding: Folding = FOLD_EVERYTHING): { text: string; origin: number[]; width: number[] } {
  let folded = '';
  const origin: number[] = [];
  const width: number[] = [];
  let index = 0;
  for (const char of text) {
    let pieces = folding.dropsControl && CLEANED.test(char) ? '' : char.normalize(folding.compatibility ? 'NFKD' : 'NFD');
    if (folding.stripAccents) pieces = pieces.replace(/\p{M}/gu, '');
    if (folding.lowercase) pieces = pieces.toLowerCase();
    pieces = pieces.replace(/\s/g, '');
    for (let i = 0; i < pieces.length; i++) {
      origin.push(index);
      width.push(char.length);
    }
    folded += pieces;
    index += char.length;
  }
  return { text: folded, origin, width };
}
