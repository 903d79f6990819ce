// Which heads are switched off, as `GROUP:LAYER:HEAD` (GROUP as the JSON names attention groups;
// it may be left out for single-group models; indices from 0), and the head mask that says so to a
// session: 1 for every head, 0 for each switched off.

import * as ort from 'onnxruntime-node';
import { layerData } from '../analysis/layerStack';
import type { AttentionKind, HeadRef, StackName, Tensor } from '../protocol/inspection';
import { EngineError } from './engineError';
import type { LoadedModel, StackRuntime } from './loadedModel';

export type { HeadRef };

/** The group keys of a model: `self` (and `cross`) for one stack, `encoder.self`… for two. */
export function groupKeyOf(model: LoadedModel, stack: StackName, kind: AttentionKind): string {
  return model.spec.family === 'encoder-decoder' ? `${stack}.${kind}` : kind;
}

function groupsOf(model: LoadedModel): Map<string, { runtime: StackRuntime; kind: AttentionKind; layers: number }> {
  const groups = new Map<string, { runtime: StackRuntime; kind: AttentionKind; layers: number }>();
  for (const runtime of model.stacks) {
    for (const kind of ['self', 'cross'] as const) {
      const layers = runtime.probes.attention.filter((probe) => probe.kind === kind).length;
      if (layers > 0) groups.set(groupKeyOf(model, runtime.stack, kind), { runtime, kind, layers });
    }
  }
  return groups;
}

/** `encoder.self:1:2,decoder.cross:0:3` (or `1:2` for a single-group model) as head references, checked against the model. */
export function parseAblation(model: LoadedModel, spec: string): HeadRef[] {
  const groups = groupsOf(model);
  const heads = model.info.heads;
  return spec
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const fields = part.split(':');
      if (fields.length === 2 && groups.size === 1) fields.unshift([...groups.keys()][0]);
      const [group, layerText, headText] = fields;
      const found = groups.get(group);
      if (fields.length !== 3 || !found) {
        throw new EngineError('input', `"${part}" is not a head of this model: write GROUP:LAYER:HEAD with GROUP one of ${[...groups.keys()].join(', ')}${groups.size === 1 ? ' (or leave it out)' : ''}, counting from 0.`);
      }
      const layer = Number(layerText);
      const head = Number(headText);
      if (!Number.isInteger(layer) || layer < 0 || layer >= found.layers) throw new EngineError('input', `"${part}": ${group} has layers 0–${found.layers - 1}.`);
      if (!Number.isInteger(head) || head < 0 || (heads > 0 && head >= heads)) throw new EngineError('input', `"${part}": ${group} has heads 0–${heads - 1}.`);
      return { stack: found.runtime.stack, kind: found.kind, layer, head };
    });
}

/** The head mask a session of `runtime` takes, with `ablated` switched off; undefined where it takes none. */
export function headMaskFeed(model: LoadedModel, runtime: StackRuntime, ablated: readonly HeadRef[] = []): ort.Tensor | undefined {
  if (runtime.maskBlocks === 0) return undefined;
  // Heads as one axis of size 1 when nothing is off: the mask then need not know the head count.
  const heads = ablated.length > 0 ? model.info.heads : 1;
  // Known from config.json or from the engine's warm-up run; a mask of the wrong width cannot run.
  if (heads === 0) throw new EngineError('input', 'Heads cannot be switched off before the model has run once: its head count is not known yet.');
  const data = new Float32Array(runtime.maskBlocks * heads).fill(1);
  // Every stack on this session (both, for a graph that holds encoder and decoder) has rows in the mask.
  const sharing = [...model.stacks, ...(model.withPast ? [model.withPast] : [])].filter((other) => other.session === runtime.session);
  for (const { stack, kind, layer, head } of ablated) {
    const row = sharing.find((other) => other.stack === stack)?.maskRows.get(`${kind}.${layer}`);
    if (row !== undefined) data[row * heads + head] = 0;
  }
  return new ort.Tensor('float32', data, [runtime.maskBlocks, heads]);
}

/** How an inspection or translation says which heads were off: `encoder.self 1:2, decoder.cross 0:3`. */
export function describeAblation(model: LoadedModel, ablated: readonly HeadRef[]): string {
  return ablated.map(({ stack, kind, layer, head }) => `${groupKeyOf(model, stack, kind)} ${layer}:${head}`).join(', ');
}

/**
 * A run reports each block's probabilities before its head mask (graph/headMask.ts); a head
 * switched off reads as zero, as it acts. `tensor`: one group, [layers, heads, …].
 */
export function zeroSwitchedOff(tensor: Tensor, stack: StackName, kind: AttentionKind, ablated: readonly HeadRef[]): void {
  const [, heads] = tensor.dims;
  for (const ref of ablated) {
    if (ref.stack !== stack || ref.kind !== kind) continue;
    const layer = layerData(tensor, ref.layer);
    const span = layer.length / heads;
    layer.fill(0, ref.head * span, (ref.head + 1) * span);
  }
}
