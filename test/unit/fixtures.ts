// Paths and reference data of the committed fixture models (test/fixtures/models, made by
// test/fixtures/make_fixtures.py with PyTorch), and small numeric helpers for assertions.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../../src/engine/engine';
import { EngineError } from '../../src/engine/engineError';
import type { Tensor } from '../../src/protocol/inspection';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'models');

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

export interface ReferenceTensor {
  readonly dims: number[];
  readonly data: number[];
}

export interface Reference {
  readonly text: string;
  readonly input_ids: number[];
  readonly decoder_input_ids?: number[];
  readonly attention: Record<string, ReferenceTensor>;
  readonly hidden_states: Record<string, ReferenceTensor>;
  readonly last_hidden_state?: ReferenceTensor;
  readonly logits?: ReferenceTensor;
  /** bert-tiny's reference_pair.json: the second text and the token type ids. */
  readonly text_pair?: string;
  readonly token_type_ids?: number[];
  /** roberta-tiny: the position ids RoBERTa computes (padding_idx + 1 onwards). */
  readonly position_ids?: number[];
  /** Learner models (encoder-decoders): the decoder text behind decoder_input_ids. */
  readonly target?: string;
  /** Learner models: each layer's FFN activation (the input of its down-projection), per stack. */
  readonly ffn_activations?: Record<string, ReferenceTensor>;
  /** Greedy continuation (gpt2-tiny-past) or translation (t5-tiny) by PyTorch, without a cache. */
  readonly generated_ids?: number[];
}

/** A fixture's reference.json, or another reference file of it (`reference_pair.json`). */
export function reference(name: string, file = 'reference.json'): Reference {
  return JSON.parse(readFileSync(path.join(fixture(name), file), 'utf8')) as Reference;
}

export function maxAbsDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) throw new Error(`length ${actual.length} ≠ ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  return worst;
}

/** Sums of the last axis: one per attention row. */
export function rowSums(tensor: Tensor): number[] {
  const rowLength = tensor.dims[tensor.dims.length - 1];
  const sums: number[] = [];
  for (let offset = 0; offset < tensor.data.length; offset += rowLength) {
    let sum = 0;
    for (let i = 0; i < rowLength; i++) sum += tensor.data[offset + i];
    sums.push(sum);
  }
  return sums;
}

/** Loading `location` fails with this EngineError code and a message matching `message`. */
export async function loadFails(location: string, code: string, message: RegExp): Promise<void> {
  const engine = new Engine();
  await assert.rejects(engine.load(location), (error: unknown) => {
    assert.ok(error instanceof EngineError, `expected an EngineError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.match(error.message, message);
    return true;
  });
}
