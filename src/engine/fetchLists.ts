// Which outputs of a stack's session a run fetches: the model's own (the encoder's last hidden state,
// the logits) and the probes an inspection reports.

import type { StackRuntime } from './loadedModel';

export function encoderOutputName(runtime: StackRuntime): string {
  return runtime.outputNames.includes('last_hidden_state') ? 'last_hidden_state' : runtime.outputNames[0];
}

/** The model's own outputs an inspection reports: the encoder's last hidden state, the logits. */
export function modelOutputFetches(runtime: StackRuntime): string[] {
  const names = runtime.stack === 'encoder' ? [encoderOutputName(runtime)] : [];
  if (runtime.outputNames.includes('logits')) names.push('logits');
  return names;
}

/**
 * What an inspection fetches: those outputs and the probes, the FFN activations unless they wait.
 * Never the queries, keys and values: `qkvFetches` adds them to the runs that ask (every output
 * fetched is copied out of onnxruntime, and Q/K/V are as large as the attention at 256 tokens).
 */
export function inspectionFetches(runtime: StackRuntime, { ffn }: { ffn: boolean }): string[] {
  const probes = [...runtime.probeOutputs].filter(([key]) => !isQkvKey(key) && (ffn || !isFfnKey(key))).map(([, name]) => name);
  return [...new Set([...probes, ...modelOutputFetches(runtime)])];
}

const isFfnKey = (key: string) => key.startsWith('ffn.');
/** `q.self.0`, `k.…`, `v.…` and fetched scale factors `scale.self.0.1` (probeKeys in graph/instrument.ts). */
const isQkvKey = (key: string) => /^(?:q|k|v|scale)\./.test(key);
