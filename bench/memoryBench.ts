// Memory: the engine process's resident set after loading and across 100 inspections (it keeps
// the last four for the panel), and the host's own, which only ever holds summaries.

import { readFileSync } from 'node:fs';
import { EngineClient } from '../src/engine/client';
import { round } from './stats';
import { atLeast, ENGLISH_PROSE } from './texts';

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
  return round(kib / 1024, 1);
}

export interface MemoryBench {
  readonly model: string;
  readonly tokens: number;
  readonly engineRssMiB: { readonly afterLoad: number; readonly after: Record<number, number> };
  readonly hostRssMiB: { readonly before: number; readonly after: number };
  /** Growth from inspection 10 to 100: memory that is never given back. */
  readonly growthMiB: number;
}

export async function memoryBench(enginePath: string, model: string, tokens: number, threads: number): Promise<MemoryBench> {
  const client = new EngineClient({ enginePath });
  const hostBefore = round(process.memoryUsage().rss / 2 ** 20, 1);
  try {
    await client.call('load', { model, threads, executionProviders: ['cpu'] });
    const pid = client.pid!;
    const afterLoad = rssMiB(pid);
    const after: Record<number, number> = {};
    const text = atLeast(ENGLISH_PROSE, tokens * 12);
    for (let i = 1; i <= 100; i++) {
      // A different text each time (a varying cut), so nothing is reused between inspections.
      await client.call('inspect', { text: text.slice(i), maxTokens: tokens, targetLanguage: 'zh' });
      if ([1, 4, 10, 25, 50, 75, 100].includes(i)) after[i] = rssMiB(pid);
    }
    global.gc?.();
    return {
      model,
      tokens,
      engineRssMiB: { afterLoad, after },
      hostRssMiB: { before: hostBefore, after: round(process.memoryUsage().rss / 2 ** 20, 1) },
      growthMiB: round(after[100] - after[10], 1),
    };
  } finally {
    client.dispose();
  }
}
