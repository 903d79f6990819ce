// Which decoding the hover should use: greedy or a beam of 4, with and without the word-repeat
// guard, scored by chrF on text the bundled model never saw (training/eval/software.tsv, and the
// held-out editor strings of the recipe's data when this machine has prepared them), with the
// time per translation and how many outputs write a word twice in a row.

import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { generate } from '../src/engine/generation';
import type { LoadedModel } from '../src/engine/loadedModel';
import { repeatsJustWritten } from '../src/engine/wordRepeat';
import { chrf } from './chrf';
import { round, sample, type Sample } from './stats';

interface Pair {
  readonly en: string;
  readonly zh: string;
}

export interface DecodingResult {
  readonly set: string;
  readonly direction: 'en→zh' | 'zh→en';
  readonly beam: number;
  readonly guard: boolean;
  readonly sentences: number;
  readonly chrf: number;
  readonly perTranslation: Sample;
  /** Outputs with a word (two characters or more) written twice in a row. */
  readonly doubledWords: number;
  /** A few outputs, for the record. */
  readonly examples: readonly { source: string; output: string }[];
}

export function decodingSets(root: string, oodLimit: number): { name: string; pairs: Pair[] }[] {
  const software = readFileSync(path.join(root, 'training', 'eval', 'software.tsv'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#'))
    .map((line) => {
      const [, en, zh] = line.split('\t');
      return { en, zh };
    });
  const sets = [{ name: 'software.tsv', pairs: software }];
  // The recipe's held-out source (the editor's own strings): present only where `training/run.py prepare` ran.
  const ood = path.join(root, 'training', 'work', 'data', 'ood.jsonl');
  if (existsSync(ood)) {
    const rows = readFileSync(ood, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Pair);
    // Every k-th row: a spread over the whole file, not its first messages only.
    const step = Math.max(1, Math.floor(rows.length / oodLimit));
    sets.push({ name: 'held-out editor strings', pairs: rows.filter((_, i) => i % step === 0).slice(0, oodLimit) });
  }
  return sets;
}

function doubled(model: LoadedModel, ids: readonly number[]): boolean {
  const decode = (part: readonly number[]) => model.tokenizer.decode(part);
  return ids.some((token, i) => i > 0 && repeatsJustWritten(ids.slice(0, i), token, decode, ''));
}

export async function decodingChoice(model: LoadedModel, sets: { name: string; pairs: Pair[] }[]): Promise<DecodingResult[]> {
  const results: DecodingResult[] = [];
  for (const set of sets) {
    for (const [direction, from, to] of [['en→zh', 'en', 'zh'], ['zh→en', 'zh', 'en']] as const) {
      for (const beam of [1, 4]) {
        for (const guard of [true, false]) {
          const outputs: string[] = [];
          const times: number[] = [];
          let doubledWords = 0;
          for (const pair of set.pairs) {
            const started = performance.now();
            const translation = await generate(model, pair[from], { beamSize: beam, targetLanguage: to, repetitionGuard: guard });
            times.push(performance.now() - started);
            outputs.push(translation.text);
            if (doubled(model, translation.tokens.map((token) => token.id))) doubledWords++;
          }
          results.push({
            set: set.name,
            direction,
            beam,
            guard,
            sentences: set.pairs.length,
            chrf: round(chrf(outputs, set.pairs.map((pair) => pair[to])), 1),
            perTranslation: sample(times),
            doubledWords,
            examples: set.pairs.slice(0, 3).map((pair, i) => ({ source: pair[from], output: outputs[i] })),
          });
        }
      }
    }
  }
  return results;
}
