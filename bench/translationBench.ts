// Hover translation latency as the extension sees it: requests through the engine client to the
// forked engine process (uncached), and answers from the host's bounded cache (cached).

import { EngineClient } from '../src/engine/client';
import { LruCache } from '../src/engine/lruCache';
import type { Translation } from '../src/protocol/inspection';
import { wordAlignment } from '../src/report/wordAlignment';
import { round, sample, type Sample } from './stats';
import { HOVER_SENTENCES } from './texts';

export interface TranslationLatency {
  readonly words: number;
  readonly beam: number;
  /** Each distinct sentence once, in both directions: the engine generates every time. */
  readonly uncached: Sample;
  /** The same requests again, answered by the cache the hover uses, alignment included. */
  readonly cached: Sample;
  readonly meanOutputTokens: number;
}

export interface TranslationBench {
  /** The very first translation after the model loads (sessions not yet warmed up). */
  readonly firstAfterLoadMs: number;
  readonly loadMs: number;
  readonly latencies: TranslationLatency[];
}

export async function translationLatency(enginePath: string, model: string, threads: number, rounds: number, variant = 'fp32'): Promise<TranslationBench> {
  const client = new EngineClient({ enginePath });
  try {
    let started = performance.now();
    await client.call('load', { model, threads, executionProviders: ['cpu'], variant });
    const loadMs = performance.now() - started;
    started = performance.now();
    await client.call('translate', { text: 'Open the file.', targetLanguage: 'zh' });
    const firstAfterLoadMs = performance.now() - started;
    const latencies: TranslationLatency[] = [];
    for (const beam of [1, 4]) {
      for (const words of [5, 15, 30] as const) {
        const cache = new LruCache<string, Translation>(500);
        const requests = [
          ...HOVER_SENTENCES[words].en.map((text) => ({ text, targetLanguage: 'zh' })),
          ...HOVER_SENTENCES[words].zh.map((text) => ({ text, targetLanguage: 'en' })),
        ];
        const uncached: number[] = [];
        const cached: number[] = [];
        let outputTokens = 0;
        for (let r = 0; r < rounds; r++) {
          for (const request of requests) {
            // A new key each round, as a hover over text not seen before: the engine must generate.
            const t0 = performance.now();
            const translation = await client.call('translate', { ...request, beamSize: beam });
            wordAlignment(translation);
            uncached.push(performance.now() - t0);
            outputTokens += translation.tokens.length;
            cache.set(`${model}\u0000${request.targetLanguage}\u0000${beam}\u0000${request.text}`, translation);
          }
          for (const request of requests) {
            const t0 = performance.now();
            const hit = cache.get(`${model}\u0000${request.targetLanguage}\u0000${beam}\u0000${request.text}`);
            if (!hit) throw new Error('cache miss');
            wordAlignment(hit);
            cached.push(performance.now() - t0);
          }
        }
        latencies.push({ words, beam, uncached: sample(uncached), cached: sample(cached), meanOutputTokens: round(outputTokens / uncached.length, 1) });
      }
    }
    return { firstAfterLoadMs: round(firstAfterLoadMs), loadMs: round(loadMs), latencies };
  } finally {
    client.dispose();
  }
}
