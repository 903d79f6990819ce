// How the panel names and classifies tokens: display labels, and special / word-start /
// continuation piece from the token's span in its source text (tokenizer-agnostic).

import type { StackName, Token } from '../src/protocol/inspection';

export type TokenType = 'special' | 'wordStart' | 'continuation';

/** A token picked somewhere in the panel, shared by every view for highlighting. */
export interface TokenRef {
  readonly stack: StackName | 'generated' | 'source';
  readonly index: number;
}

export function tokenLabel(token: Token): string {
  const text = token.text.replace(/\n/g, '⏎');
  if (text === '') return '∅';
  return text.trim() === '' ? text.replace(/ /g, '␣') : text;
}

/** Word start: first piece, after a non-word character, or a piece that carries its own leading space. */
export function tokenTypes(tokens: readonly Token[], text: string): TokenType[] {
  return tokens.map((token, index) => {
    if (token.special) return 'special';
    if (/^[\s▁Ġ]/u.test(token.text) || token.start <= 0) return 'wordStart';
    const previous = tokens.slice(0, index).reverse().find((other) => !other.special);
    if (!previous) return 'wordStart';
    const before = text.charAt(token.start - 1);
    const first = text.charAt(token.start) || token.text.charAt(0);
    const wordChar = /[\p{L}\p{N}_]/u;
    return previous.end === token.start && wordChar.test(before) && wordChar.test(first) ? 'continuation' : 'wordStart';
  });
}

/** Indexes of the tokens to draw: all, or all but special ones. */
export function visibleIndexes(tokens: readonly Token[], hideSpecial: boolean): number[] {
  const indexes: number[] = [];
  tokens.forEach((token, index) => {
    if (!hideSpecial || !token.special) indexes.push(index);
  });
  return indexes;
}
