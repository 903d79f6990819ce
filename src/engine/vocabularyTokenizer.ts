// A tokenizer.json built from a bare vocabulary, for a learner's model folder that has only
// `vocab.txt` (one token a line, line number = id) or `vocab.json` (token → id): WordPiece for a
// BERT-style vocab.txt, else a word-level tokenizer (WordPiece without ## pieces reads whole words).

import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { EngineError } from './engineError';

export const VOCABULARY_FILES = ['vocab.txt', 'vocab.json'] as const;

const UNKNOWN_TOKENS = ['[UNK]', '<unk>', '<UNK>', '<oov>', 'unk'];
/** Tokens that look like markers rather than text: [CLS], <pad>, <|endoftext|>. */
const SPECIAL = /^(\[[A-Za-z_]+\]|<\|?[A-Za-z_/]+\|?>)$/;

export interface BuiltTokenizer {
  readonly tokenizerJson: object;
  /** Says which tokenizer was built, from which file. */
  readonly notice: string;
}

/** The vocabulary in `folder`, as a tokenizer.json; undefined when there is none. */
export function tokenizerFromVocabulary(folder: string): BuiltTokenizer | undefined {
  const file = VOCABULARY_FILES.map((name) => path.join(folder, name)).find((candidate) => existsSync(candidate));
  if (!file) return undefined;
  if (file.endsWith('.json') && existsSync(path.join(folder, 'merges.txt'))) {
    throw new EngineError('tokenizer', `${folder} has vocab.json and merges.txt (a byte-level BPE tokenizer) but no tokenizer.json: in Python, tokenizer.save_pretrained(folder) writes it.`);
  }
  const vocab = readVocabulary(file);
  const tokens = Object.keys(vocab);
  const unknown = UNKNOWN_TOKENS.find((token) => token in vocab);
  if (!unknown) {
    throw new EngineError('tokenizer', `${path.basename(file)} in ${folder} has no token for unknown words (one of ${UNKNOWN_TOKENS.join(', ')}), so text outside it cannot be read. Add one, or save a tokenizer.json.`);
  }
  const pieces = tokens.some((token) => token.startsWith('##') && token.length > 2);
  const bertStyle = pieces && '[CLS]' in vocab && '[SEP]' in vocab;
  const lowercase = !tokens.some((token) => !SPECIAL.test(token) && token !== token.toLowerCase());
  const special = tokens.filter((token) => SPECIAL.test(token));
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: special.map((content) => ({ id: vocab[content], content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: lowercase ? { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true } : null,
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: bertStyle
      ? {
          type: 'TemplateProcessing',
          single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
          pair: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } }],
          special_tokens: Object.fromEntries(['[CLS]', '[SEP]'].map((id) => [id, { id, ids: [vocab[id]], tokens: [id] }])),
        }
      : null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: unknown, continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
  const kind = pieces
    ? `a WordPiece tokenizer${bertStyle ? ' ([CLS] … [SEP] around each text)' : ''}`
    : 'a word-level tokenizer (whole words; others become ' + unknown + ')';
  const casing = lowercase ? 'lower-cased, ' : '';
  return {
    tokenizerJson,
    notice: `No tokenizer.json: built ${kind} from ${path.basename(file)} (${tokens.length} tokens; ${casing}split at spaces and punctuation).`,
  };
}

function readVocabulary(file: string): Record<string, number> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new EngineError('tokenizer', `Cannot read ${file}: ${(error as Error).message}`);
  }
  if (file.endsWith('.txt')) {
    const vocab: Record<string, number> = {};
    text.split(/\r?\n/).forEach((line, id) => {
      if (line !== '' && !(line in vocab)) vocab[line] = id;
    });
    return vocab;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new EngineError('tokenizer', `${path.basename(file)} is not valid JSON (${(error as Error).message}).`);
  }
  const entries = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? Object.entries(parsed) : [];
  if (entries.length === 0 || !entries.every(([, id]) => Number.isInteger(id) && (id as number) >= 0)) {
    throw new EngineError('tokenizer', `${path.basename(file)} must map each token to its id ({"the": 4, …}).`);
  }
  return Object.fromEntries(entries) as Record<string, number>;
}
