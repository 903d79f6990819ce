// Finds the translatable text at a position: the comment, string literal or sentence there, or
// an identifier split into words. Pure text logic (no vscode import) so it is tested directly.

export type HoverTrigger = 'comments' | 'commentsAndStrings' | 'all';

export interface TextSpan {
  readonly kind: 'comment' | 'string' | 'prose' | 'identifier';
  /** What to translate (comment markers and quotes removed, identifiers split). */
  readonly text: string;
  /** Where that text sits, on one line: what "Replace with translation" replaces. */
  readonly line: number;
  readonly start: number;
  readonly end: number;
}

interface CommentSyntax {
  readonly line: readonly string[];
  readonly block: readonly (readonly [string, string])[];
}

const C_LIKE: CommentSyntax = { line: ['//'], block: [['/*', '*/']] };
const HASH: CommentSyntax = { line: ['#'], block: [] };
const SYNTAX: Record<string, CommentSyntax> = {
  python: { line: ['#'], block: [] },
  shellscript: HASH, ruby: HASH, perl: HASH, r: HASH, yaml: HASH, toml: HASH, dockerfile: HASH, makefile: HASH,
  powershell: { line: ['#'], block: [['<#', '#>']] }, coffeescript: HASH, julia: HASH, elixir: HASH, cmake: HASH, properties: HASH,
  sql: { line: ['--'], block: [['/*', '*/']] }, lua: { line: ['--'], block: [['--[[', ']]']] }, haskell: { line: ['--'], block: [['{-', '-}']] },
  latex: { line: ['%'], block: [] }, matlab: { line: ['%'], block: [['%{', '%}']] }, erlang: { line: ['%'], block: [] },
  clojure: { line: [';'], block: [] }, ini: { line: [';', '#'], block: [] }, vb: { line: ["'"], block: [] },
  html: { line: [], block: [['<!--', '-->']] }, xml: { line: [], block: [['<!--', '-->']] }, vue: { line: ['//'], block: [['<!--', '-->'], ['/*', '*/']] },
  css: { line: [], block: [['/*', '*/']] }, scss: C_LIKE, less: C_LIKE,
};
/** Languages whose whole text is prose. */
const PROSE = new Set(['markdown', 'plaintext', 'restructuredtext', 'asciidoc', 'git-commit', 'scminput', 'mdx']);
const QUOTES = ['"', "'", '`'];
const LETTER = /\p{L}/u;
const SENTENCE_END = /[.!?。！？；;]/;

export function isProse(languageId: string): boolean {
  return PROSE.has(languageId);
}

function syntaxOf(languageId: string): CommentSyntax {
  return SYNTAX[languageId] ?? C_LIKE;
}

/**
 * The text to translate at (line, character), or undefined where there is none.
 * `getLine` reads the document; only a few lines around the position are looked at.
 */
export function findTextAt(getLine: (line: number) => string, line: number, character: number, languageId: string, trigger: HoverTrigger): TextSpan | undefined {
  const text = getLine(line);
  if (character >= text.length || !LETTER.test(text)) return undefined;
  if (isProse(languageId)) return sentenceAt(text, line, character);
  const syntax = syntaxOf(languageId);
  const comment = lineCommentAt(text, line, character, syntax) ?? blockCommentAt(getLine, line, character, syntax);
  if (comment) return comment;
  if (trigger === 'comments') return undefined;
  const string = stringAt(text, line, character);
  if (string) return string;
  return trigger === 'all' ? identifierAt(text, line, character) : undefined;
}

/** Positions of string literals on a line, so comment markers inside strings are ignored. */
function stringRanges(text: string): [number, number][] {
  const ranges: [number, number][] = [];
  let open: { quote: string; at: number } | undefined;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (open) {
      if (char === '\\') i++;
      else if (char === open.quote) {
        ranges.push([open.at, i]);
        open = undefined;
      }
    } else if (QUOTES.includes(char)) open = { quote: char, at: i };
  }
  return ranges;
}

/** The first occurrence of `marker` that is not inside a string literal; -1 if none. Linear in the line. */
function indexOutsideStrings(text: string, marker: string, ranges: readonly [number, number][]): number {
  let range = 0;
  for (let at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + 1)) {
    // Ranges are in order: skip those that end before this occurrence.
    while (range < ranges.length && ranges[range][1] <= at) range++;
    const inside = range < ranges.length && at > ranges[range][0] && at < ranges[range][1];
    if (!inside) return at;
    at = ranges[range][1] - 1;
  }
  return -1;
}

function trimmed(kind: TextSpan['kind'], text: string, line: number, start: number, end: number): TextSpan | undefined {
  while (start < end && /[\s*/#\-!<>=~]/.test(text[start])) start++;
  while (end > start && /\s/.test(text[end - 1])) end--;
  const content = text.slice(start, end);
  return LETTER.test(content) ? { kind, text: content, line, start, end } : undefined;
}

function lineCommentAt(text: string, line: number, character: number, syntax: CommentSyntax): TextSpan | undefined {
  const strings = stringRanges(text);
  for (const marker of syntax.line) {
    const at = indexOutsideStrings(text, marker, strings);
    if (at >= 0 && character >= at) return trimmed('comment', text, line, at + marker.length, text.length);
  }
  return undefined;
}

function blockCommentAt(getLine: (line: number) => string, line: number, character: number, syntax: CommentSyntax): TextSpan | undefined {
  const text = getLine(line);
  for (const [open, close] of syntax.block) {
    // Look back for an opening marker not yet closed before the position.
    let opened = false;
    let start = 0;
    for (let back = line; back >= Math.max(0, line - 200) && !opened; back--) {
      const content = back === line ? text.slice(0, character) : getLine(back);
      const openAt = content.lastIndexOf(open);
      const closeAt = content.lastIndexOf(close);
      if (openAt >= 0 && openAt + open.length > closeAt) {
        opened = true;
        start = back === line ? openAt + open.length : 0;
      } else if (closeAt >= 0) break;
    }
    if (!opened) continue;
    const closeAt = text.indexOf(close, Math.max(start, character - close.length + 1));
    return trimmed('comment', text, line, start, closeAt >= 0 ? closeAt : text.length);
  }
  return undefined;
}

function stringAt(text: string, line: number, character: number): TextSpan | undefined {
  const range = stringRanges(text).find(([start, end]) => character > start && character < end);
  const span = range && trimmed('string', text, line, range[0] + 1, range[1]);
  return span && looksLikeWords(span.text) ? span : undefined;
}

/** Strings that are URLs, paths, keys or format codes hold nothing to translate. */
export function looksLikeWords(text: string): boolean {
  if (/\p{Script=Han}/u.test(text)) return true;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) || /^[\w.@-]+@[\w.-]+$/.test(text)) return false;
  if (!/\s/.test(text) && /[\/\\_.:%{}<>$]/.test(text)) return false;
  return /\p{L}{2,}/u.test(text);
}

/** The sentence of a prose line that holds the position. */
function sentenceAt(text: string, line: number, character: number): TextSpan | undefined {
  let start = character;
  while (start > 0 && !SENTENCE_END.test(text[start - 1])) start--;
  let end = character;
  while (end < text.length && !SENTENCE_END.test(text[end])) end++;
  if (end < text.length) end++;
  return trimmed('prose', text, line, start, end);
}

/** `getUserName`, `max_seq_len`, `HTTPServer` → words, for hovering code itself. */
export function splitIdentifier(identifier: string): string {
  return identifier
    .replace(/([\p{Ll}\d])(\p{Lu})/gu, '$1 $2')
    .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, '$1 $2')
    .replace(/[_\-$]+/g, ' ')
    .trim()
    .toLowerCase();
}

function identifierAt(text: string, line: number, character: number): TextSpan | undefined {
  const word = /[\p{L}\p{N}_$]/u;
  let start = character;
  while (start > 0 && word.test(text[start - 1])) start--;
  let end = character;
  while (end < text.length && word.test(text[end])) end++;
  const identifier = text.slice(start, end);
  if (!LETTER.test(identifier)) return undefined;
  return { kind: 'identifier', text: splitIdentifier(identifier), line, start, end };
}
