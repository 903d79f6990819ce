// Timing helpers for the benchmarks: repeated runs, medians and percentiles, and the facts about
// the machine every result is tagged with.

import { readFileSync } from 'node:fs';
import * as os from 'node:os';

export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  return sorted[low] + (sorted[Math.ceil(at)] - sorted[low]) * (at - low);
}

export const median = (values: readonly number[]) => quantile(values, 0.5);
export const p95 = (values: readonly number[]) => quantile(values, 0.95);

export interface Sample {
  readonly medianMs: number;
  readonly p95Ms: number;
  readonly runs: number;
}

export function sample(ms: readonly number[]): Sample {
  return { medianMs: round(median(ms)), p95Ms: round(p95(ms)), runs: ms.length };
}

export function round(value: number, digits = 2): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/**
 * Runs each task `repeats` times, interleaved so drift on a shared machine hits all alike, each round
 * starting one task further on (A B C, B C A, C A B …): in a fixed order, garbage collections that
 * fall due every few rounds land on the same task each time (6% between three identical tasks).
 */
export async function interleaved(tasks: Record<string, () => Promise<unknown>>, repeats: number, warmup = 3): Promise<Record<string, number[]>> {
  const names = Object.keys(tasks);
  for (let i = 0; i < warmup; i++) for (const name of names) await tasks[name]();
  const times: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let i = 0; i < repeats; i++) {
    for (const name of names.map((_, j) => names[(i + j) % names.length])) {
      const started = performance.now();
      await tasks[name]();
      times[name].push(performance.now() - started);
    }
  }
  return times;
}

/**
 * Runs each task in blocks of consecutive runs (A×n B×n A×n B×n …, warm-up first, a pause between
 * blocks). For tasks in different processes: thread pools that spin after work (onnxruntime's,
 * OpenMP's) would otherwise slow whichever process runs next.
 */
export async function inBlocks(tasks: Record<string, () => Promise<unknown>>, repeats: number, blocks = 2, warmup = 3, pauseMs = 300): Promise<Record<string, number[]>> {
  const names = Object.keys(tasks);
  const times: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  const perBlock = Math.ceil(repeats / blocks);
  for (let block = 0; block < blocks; block++) {
    for (const name of names) {
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
      for (let i = 0; i < (block === 0 ? warmup : 0); i++) await tasks[name]();
      for (let i = 0; i < perBlock; i++) {
        const started = performance.now();
        await tasks[name]();
        times[name].push(performance.now() - started);
      }
    }
  }
  return times;
}

/** The kernel's transparent huge page mode (`always`, `madvise`, `never`), where it says. */
function transparentHugePages(): string | undefined {
  try {
    return /\[(\w+)\]/.exec(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** Which of the matrix kernels' instruction sets the CPU has (Linux: /proc/cpuinfo), e.g. `avx2 avx512f`. */
function vectorUnits(): string | undefined {
  try {
    const flags = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1].trim().split(/\s+/) ?? [];
    return ['avx2', 'fma', 'avx512f', 'avx512_vnni', 'avx512_bf16', 'amx_tile'].filter((flag) => flags.includes(flag)).join(' ');
  } catch {
    return undefined;
  }
}

export function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim(),
    cores: cpus.length,
    memoryGiB: round(os.totalmem() / 2 ** 30, 1),
    platform: `${process.platform}-${process.arch}`,
    node: process.version,
    loadAverage: os.loadavg().map((value) => round(value, 2)),
    vectorUnits: vectorUnits(),
    glibcTunables: process.env.GLIBC_TUNABLES ?? '',
    transparentHugePages: transparentHugePages(),
  };
}
