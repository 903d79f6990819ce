// The decoder's guard against a word written twice in a row ("保存文档中的修改修改"): a candidate
// token that would repeat, right away, the block of tokens just written is not taken. A block of
// one character (Chinese reduplication: 看看, 谢谢), of punctuation, symbols or digits, or one the
// source itself repeats, may repeat. A Chinese piece counts as the same as another piece of the same
// text: a vocabulary holds both "▁下载" and "下载", and "下载下载" is still a repeat.

/** Longest block, in tokens, checked for an immediate repeat. */
const MAX_BLOCK = 4;

export function repeatsJustWritten(ids: readonly number[], token: number, decode: (ids: readonly number[]) => string, source: string): boolean {
  const length = ids.length + 1;
  const at = (i: number) => (i === ids.length ? token : ids[i]);
  for (let block = 1; block <= MAX_BLOCK && 2 * block <= length; block++) {
    let same = true;
    for (let i = 0; i < block && same; i++) same = samePiece(at(length - block + i), at(length - 2 * block + i), decode);
    if (!same) continue;
    const text = decode([...ids, token].slice(length - block)).trim();
    if ([...text.replace(/\s+/g, '')].length < 2 || /^[\p{P}\p{S}\p{N}\s]+$/u.test(text)) continue;
    if (sourceRepeats(source, text)) continue;
    return true;
  }
  return false;
}

const CHINESE = /\p{Script=Han}/u;

/** Each piece's text, decoded once per decode function (generation.ts keeps one per tokenizer): decoding is slow. */
const pieceTexts = new WeakMap<(ids: readonly number[]) => string, Map<number, string>>();

function pieceText(id: number, decode: (ids: readonly number[]) => string): string {
  let texts = pieceTexts.get(decode);
  if (!texts) pieceTexts.set(decode, (texts = new Map()));
  let text = texts.get(id);
  if (text === undefined) texts.set(id, (text = decode([id]).trim()));
  return text;
}

function samePiece(a: number, b: number, decode: (ids: readonly number[]) => string): boolean {
  if (a === b) return true;
  const text = pieceText(a, decode);
  // only Chinese: English pieces with and without the word-start mark differ ("▁the" after "ba" is no repeat)
  return CHINESE.test(text) && text === pieceText(b, decode);
}

function sourceRepeats(source: string, text: string): boolean {
  const lower = source.toLowerCase();
  const word = text.toLowerCase();
  return lower.includes(word + word) || lower.includes(`${word} ${word}`);
}
