// Interventions on an inspection the engine keeps: the same input re-run with heads switched off and
// compared with the original (how far each layer's hidden states moved, the next token, the
// re-generated translation), and the output head's whole row at any position for the next-token view.
// Nothing here runs with the inspection: the panel asks.

import type { HeadRef, Inspection, Interventions, Tensor, Translation } from '../protocol/inspection';
import type { AblationEffect, NextTokens, TokenChance } from '../protocol/panelData';
import { EngineError, errorMessage } from './engineError';
import { generate } from './generation';
import { groupKeyOf, parseAblation } from './headAblation';
import type { LoadedModel } from './loadedModel';
import { LruCache } from './lruCache';
import { softmax, topIndices } from '../analysis/sampling';
import { layerData } from '../analysis/layerStack';

const NEXT_TOKENS_IN_EFFECT = 5;

export function interventionsFor(model: LoadedModel, original: Inspection, rerun: (heads: readonly HeadRef[]) => Promise<Inspection>, targetLanguage?: string): Interventions {
  const effects = new LruCache<string, Promise<AblationEffect>>(16);
  let originalTranslation: Promise<string> | undefined;
  let inputTranslation: Promise<Translation> | undefined;
  const translate = (ablate?: readonly HeadRef[]) => generate(model, original.text, { ablate, targetLanguage }).then((translation) => translation.text);
  const compute = async (heads: readonly HeadRef[]): Promise<AblationEffect> => {
    const started = performance.now();
    const ablated = await rerun(heads);
    const translation = model.spec.family === 'encoder-decoder'
      ? { original: await (originalTranslation ??= translate()), ablated: await translate(heads) }
      : undefined;
    const nextToken = original.logits && ablated.logits ? lastPositionTop(model, original.logits, ablated.logits) : undefined;
    return {
      heads: heads.map((head) => `${groupKeyOf(model, head.stack, head.kind)}:${head.layer}:${head.head}`),
      hiddenShift: original.stacks.flatMap((stack) => {
        const moved = ablated.stacks.find((entry) => entry.stack === stack.stack)?.hiddenStates;
        return stack.hiddenStates && moved ? [{ stack: stack.stack, shift: relativeShift(stack.hiddenStates, moved) }] : [];
      }),
      ...(nextToken ? { nextToken } : {}),
      ...(translation ? { translation } : {}),
      elapsedMs: performance.now() - started,
    };
  };
  return {
    ablate(spec) {
      const heads = canonical(parseAblation(model, spec));
      if (heads.length === 0) return Promise.reject(new EngineError('input', 'No head to switch off.'));
      const key = heads.map((head) => `${head.stack}.${head.kind}:${head.layer}:${head.head}`).join(',');
      const cached = effects.get(key);
      if (cached) return cached;
      const pending = compute(heads).catch((error: unknown) => {
        effects.delete(key);
        throw error instanceof EngineError ? error : new EngineError('input', `The heads could not be switched off (${errorMessage(error)}); the model may have been replaced since: inspect again.`);
      });
      effects.set(key, pending);
      return pending;
    },
    translation() {
      if (model.spec.family !== 'encoder-decoder') return Promise.reject(new EngineError('input', 'Only an encoder-decoder model translates its input.'));
      inputTranslation ??= generate(model, original.text, { targetLanguage }).catch((error: unknown) => {
        inputTranslation = undefined;
        throw error instanceof EngineError ? error : new EngineError('input', `The input could not be translated (${errorMessage(error)}).`);
      });
      return inputTranslation;
    },
    nextTokens(position, count) {
      const logits = original.logits;
      if (!logits) throw new EngineError('input', 'This model has no output head, so it predicts no next token.');
      const [positions, vocab] = logits.dims;
      if (position >= positions) throw new EngineError('input', `Position ${position} is past the last token (${positions - 1}).`);
      const row = logits.data.slice(position * vocab, (position + 1) * vocab);
      return { position, logits: { dims: [vocab], data: row }, top: topIndices(row, count).map((id) => ({ id, text: model.tokenizer.tokenOf(id) ?? String(id) })) } satisfies NextTokens;
    },
  };
}

/** Unique heads in a stable order, so the same choice in any order is one cache entry. */
function canonical(heads: readonly HeadRef[]): HeadRef[] {
  const seen = new Map(heads.map((head) => [`${head.stack}.${head.kind}:${head.layer}:${head.head}`, head]));
  return [...seen.entries()].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true })).map(([, head]) => head);
}

/** Per layer: the mean over tokens of ‖b − a‖ / ‖a‖, for [layers + 1, tokens, hidden] tensors. */
export function relativeShift(a: Tensor, b: Tensor): number[] {
  const [layers, tokens, hidden] = a.dims;
  const shift: number[] = [];
  for (let l = 0; l < layers; l++) {
    const before = layerData(a, l);
    const after = layerData(b, l);
    let sum = 0;
    for (let t = 0; t < tokens; t++) {
      let difference = 0;
      let norm = 0;
      const base = t * hidden;
      for (let i = base; i < base + hidden; i++) {
        const d = after[i] - before[i];
        difference += d * d;
        norm += before[i] * before[i];
      }
      sum += Math.sqrt(difference) / Math.max(Math.sqrt(norm), 1e-12);
    }
    shift.push(tokens > 0 ? sum / tokens : 0);
  }
  return shift;
}

function lastPositionTop(model: LoadedModel, original: Tensor, ablated: Tensor): AblationEffect['nextToken'] {
  const [positions, vocab] = original.dims;
  const position = positions - 1;
  const chances = (logits: Tensor): TokenChance[] => {
    const probabilities = softmax(logits.data.subarray(position * vocab, (position + 1) * vocab));
    return topIndices(probabilities, NEXT_TOKENS_IN_EFFECT).map((id) => ({ id, text: model.tokenizer.tokenOf(id) ?? String(id), probability: probabilities[id] }));
  };
  return { position, original: chances(original), ablated: chances(ablated) };
}
