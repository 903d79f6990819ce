// A time bound on tokenization. tokenizer.json is untrusted data whose regular expressions run in
// JavaScript's backtracking engine: a pattern such as (a|aa)+$ can run for ever on a short text.

import * as vm from 'node:vm';
import { EngineError } from './engineError';

/** Far more than any real tokenizer needs for the longest text the engine ever tokenizes (inputWindow.ts). */
export const TOKENIZE_TIME_LIMIT_MS = 3000;
/** Each pattern's own try when looking for the slow one. */
const PATTERN_TRY_MS = 300;
const MAX_PATTERNS_TRIED = 12;

// One script, called with whatever is to be bounded: V8 stops any JavaScript, a regular
// expression included, at the script's timeout.
const CALL = new vm.Script('task()');
const CONTEXT = vm.createContext({ task: undefined as unknown });

class TimedOut extends Error {}

/** `task()`, or TimedOut when it runs longer than `ms`. */
function runWithin<T>(task: () => T, ms: number): T {
  CONTEXT.task = task;
  try {
    return CALL.runInContext(CONTEXT, { timeout: ms }) as T;
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw new TimedOut();
    throw error;
  } finally {
    CONTEXT.task = undefined;
  }
}

/** A regular expression of a tokenizer.json and where it sits. */
export interface TokenizerPattern {
  readonly pattern: string;
  /** e.g. `pre_tokenizer.pretokenizers[1] (Split)`. */
  readonly where: string;
}

/** Every `{"Regex": …}` pattern in the normalizer, pre-tokenizer and decoder of a tokenizer.json. */
export function regexPatternsOf(tokenizerJson: object): TokenizerPattern[] {
  const found: TokenizerPattern[] = [];
  const visit = (node: unknown, where: string) => {
    if (Array.isArray(node)) node.forEach((child, i) => visit(child, `${where}[${i}]`));
    else if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      const regex = (record.pattern as { Regex?: unknown } | undefined)?.Regex;
      if (typeof regex === 'string') found.push({ pattern: regex, where: typeof record.type === 'string' ? `${where} (${record.type})` : where });
      for (const [key, child] of Object.entries(record)) if (key !== 'pattern' && typeof child === 'object') visit(child, `${where}.${key}`);
    }
  };
  const json = tokenizerJson as Record<string, unknown>;
  for (const part of ['normalizer', 'pre_tokenizer', 'decoder']) visit(json[part], part);
  return found;
}

/** The patterns that alone run past their try on `text` (the first ones, tried in file order). */
function slowPatterns(patterns: readonly TokenizerPattern[], text: string): TokenizerPattern[] {
  return patterns.slice(0, MAX_PATTERNS_TRIED).filter(({ pattern }) => {
    let regex: RegExp;
    try {
      regex = new RegExp(pattern, 'gu');
    } catch {
      return false;
    }
    try {
      runWithin(() => text.split(regex), PATTERN_TRY_MS);
      return false;
    } catch (error) {
      return error instanceof TimedOut;
    }
  });
}

/**
 * Runs a tokenization within the time limit (`textOf`: the text it works on); past it, an EngineError that names the
 * pattern of tokenizer.json that backtracks on this text, where one alone does.
 */
export function tokenizeWithinTime<T>(task: () => T, textOf: () => string, patterns: readonly TokenizerPattern[], limitMs = TOKENIZE_TIME_LIMIT_MS): T {
  try {
    return runWithin(task, limitMs);
  } catch (error) {
    if (!(error instanceof TimedOut)) throw error;
  }
  const seconds = `${limitMs / 1000} s`;
  const text = textOf();
  const slow = slowPatterns(patterns, text);
  if (slow.length > 0) {
    const named = slow.map(({ pattern, where }) => `/${pattern}/ in ${where}`).join(', ');
    throw new EngineError('tokenizer', `The tokenizer was stopped after ${seconds} on this text: the regular expression ${named} of tokenizer.json backtracks without end on it. Fix or remove that pattern in tokenizer.json.`);
  }
  const listed = patterns.length > 0 ? ` None of its regular expressions (${patterns.map(({ pattern }) => `/${pattern}/`).join(', ')}) is slow on this text alone.` : '';
  throw new EngineError('tokenizer', `The tokenizer was stopped after ${seconds} on this text (${text.length} characters).${listed}`);
}
