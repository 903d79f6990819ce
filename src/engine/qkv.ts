// Queries, keys and values of an attention group as [layers, heads, tokens, headDim], taken where
// QKᵀ and ·V read them and brought back to before any scaling the model applies; fetched only when
// asked for (inspect --qkv, the panel's step-by-step view).

import type * as ort from 'onnxruntime-node';
import type { AttentionKind, QkvGroup, Tensor } from '../protocol/inspection';
import { qkvProbeKeys, scaleFactors, scaleKey } from './graph/instrument';
import type { QkvProbe } from './graph/probeFinder';
import type { QkvHead } from './graph/qkvHeads';
import type { StackRuntime } from './loadedModel';
import { toFloat32 } from './modelFeeds';
import { EngineError } from './engineError';
import { createSession, SessionSettings } from './sessionFactory';
import { runFetching } from './sessionRun';

/** A block's Q/K/V model, its session opened the first time it is asked for. */
export interface QkvHeadRuntime {
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly session: () => Promise<ort.InferenceSession>;
  /** Releases the session if one was opened. */
  readonly release: () => Promise<void>;
}

export function openableQkvHeads(heads: readonly QkvHead[], externalDataFolder: string, settings: SessionSettings): ReadonlyMap<string, QkvHeadRuntime> {
  return new Map(heads.map((head) => {
    let opened: Promise<ort.InferenceSession> | undefined;
    const session = () => (opened ??= createSession(head.bytes, externalDataFolder, { ...settings, spinning: false }).then((created) => created.session));
    const release = async () => {
      const current = opened;
      opened = undefined;
      await current?.then((value) => value.release(), () => undefined);
    };
    return [head.block, { inputs: head.inputs, outputs: head.outputs, session, release }];
  }));
}

/**
 * One block's Q, K and V as a one-layer group, from its head model fed with the run's hidden
 * states and inputs (`valueOf`); undefined where the block has no head or a value is missing.
 */
export async function layerQkv(runtime: StackRuntime, kind: AttentionKind, layer: number, valueOf: (tensor: string) => ort.Tensor | undefined): Promise<QkvGroup | undefined> {
  const probe = runtime.probes.qkv.find((entry) => entry.kind === kind && entry.layer === layer);
  const found = probe && (await headLayer(runtime, probe, valueOf));
  return found && groupOf(runtime, kind, [found]);
}

/** A block's Q/K/V from its head model; undefined where it has none or the run lacks one of its inputs. */
async function headLayer(runtime: StackRuntime, probe: QkvProbe, valueOf: (tensor: string) => ort.Tensor | undefined): Promise<QkvLayer | undefined> {
  const head = runtime.qkvHeads.get(blockKey(probe));
  if (!head) return undefined;
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of head.inputs) {
    const value = valueOf(name);
    if (!value) return undefined;
    feeds[name] = value;
  }
  const outputs = await runFetching(await head.session(), feeds, head.outputs);
  // The head names its outputs as the graph does, not as the instrumented session's probe outputs.
  return layerFrom(probe, outputs, new Map(qkvProbeKeys(probe)));
}

/** The run's values a head can read: the hidden states it fetched (by graph name) and its feeds. */
export function layerInputValues(group: readonly StackRuntime[], outputs: ort.InferenceSession.OnnxValueMapType, feeds: ort.InferenceSession.FeedsType): (tensor: string) => ort.Tensor | undefined {
  // Built on the first ask: most inspections never open the step-by-step view.
  let byName: Map<string, ort.Tensor> | undefined;
  const hiddenStatesByName = () => {
    const found = new Map<string, ort.Tensor>();
    for (const runtime of group) {
      runtime.probes.hiddenStates?.forEach((tensor, layer) => {
        const value = outputs[runtime.probeOutputs.get(`hidden.${layer}`) ?? ''];
        if (value) found.set(tensor, value as ort.Tensor);
      });
    }
    return found;
  };
  return (tensor) => (byName ??= hiddenStatesByName()).get(tensor) ?? (feeds[tensor] as ort.Tensor | undefined);
}

const blockKey = (probe: QkvProbe) => `${probe.kind}.${probe.layer}`;

function probesOf(runtime: StackRuntime, kind: AttentionKind): QkvProbe[] {
  return runtime.probes.qkv.filter((probe) => probe.kind === kind);
}

/** Whether the block's Q, K and V are outputs of the instrumented graph (blocks with a head model are not). */
const fromGraph = (runtime: StackRuntime, probe: QkvProbe) => runtime.probeOutputs.has(`q.${blockKey(probe)}`);

/** The graph outputs one group's Q, K, V and their fetched scale factors come from (blocks without a head model). */
export function qkvFetches(runtime: StackRuntime, kind: AttentionKind): string[] {
  return probesOf(runtime, kind).filter((probe) => fromGraph(runtime, probe)).flatMap((probe) => {
    const parts = ['q', 'k', 'v'].map((part) => runtime.probeOutputs.get(`${part}.${blockKey(probe)}`)!);
    const fetched = scaleFactors(probe).flatMap((factor, i) => (factor.value === undefined ? [runtime.probeOutputs.get(scaleKey(blockKey(probe), i))!] : []));
    return [...parts, ...fetched];
  });
}

/**
 * The group's Q, K, V: from a run that fetched `qkvFetches`, and for the blocks with a head model
 * from that model fed with the same run's layer inputs (`valueOf`).
 */
export async function assembleQkv(runtime: StackRuntime, kind: AttentionKind, outputs: ort.InferenceSession.OnnxValueMapType, valueOf: (tensor: string) => ort.Tensor | undefined): Promise<QkvGroup> {
  const layers: QkvLayer[] = [];
  for (const probe of probesOf(runtime, kind)) {
    const layer = fromGraph(runtime, probe) ? layerFrom(probe, outputs, runtime.probeOutputs) : await headLayer(runtime, probe, valueOf);
    if (!layer) throw new EngineError('internal', `${runtime.stack} ${blockKey(probe)}: its queries, keys and values are neither graph outputs nor computable from the run's layer inputs.`);
    layers.push(layer);
  }
  return groupOf(runtime, kind, layers);
}

interface QkvLayer {
  readonly queries: Tensor;
  readonly keys: Tensor;
  readonly values: Tensor;
  readonly scale: number;
  readonly queryScale: number;
}

/** One block's Q, K, V brought back to before the model's scaling; `names`: probe key → output name. */
function layerFrom(probe: QkvProbe, outputs: ort.InferenceSession.OnnxValueMapType, names: ReadonlyMap<string, string>): QkvLayer {
  const key = blockKey(probe);
  const factors = scaleFactors(probe).map((factor, i) => ({ ...factor, value: factor.value ?? toFloat32(outputs[names.get(scaleKey(key, i))!])[0] }));
  // Each factor multiplied (or divided) the values; the product says by how much in all.
  const product = (list: typeof factors) => list.reduce((total, factor) => (factor.divide ? total / factor.value : total * factor.value), 1);
  const queryFactors = factors.slice(0, probe.scaling.query.length);
  const keyFactors = factors.slice(probe.scaling.query.length, probe.scaling.query.length + probe.scaling.key.length);
  const fetch = (part: string) => outputs[names.get(`${part}.${key}`)!];
  return {
    queries: heads(fetch('q'), false, 1 / product(queryFactors)),
    keys: heads(fetch('k'), true, 1 / product(keyFactors)),
    values: heads(fetch('v'), false, 1),
    scale: product(factors),
    queryScale: product(queryFactors),
  };
}

function groupOf(runtime: StackRuntime, kind: AttentionKind, layers: readonly QkvLayer[]): QkvGroup {
  const stack = (pick: (layer: QkvLayer) => Tensor) => stackTensors(layers.map(pick));
  const queryScale = layers.map((layer) => layer.queryScale);
  return {
    stack: runtime.stack,
    kind,
    queries: stack((layer) => layer.queries),
    keys: stack((layer) => layer.keys),
    values: stack((layer) => layer.values),
    scale: layers.map((layer) => layer.scale),
    ...(queryScale.some((value) => value !== 1) ? { queryScale } : {}),
  };
}

/**
 * An operand as [heads, tokens, headDim], batch 1: its last two axes are [tokens, headDim]
 * ([headDim, tokens] for the transposed keys); the axes before them hold the heads.
 */
function heads(tensor: ort.Tensor, transposed: boolean, multiplier: number): Tensor {
  const data = toFloat32(tensor);
  const [a, b] = tensor.dims.slice(-2);
  const count = data.length / (a * b);
  const [tokens, width] = transposed ? [b, a] : [a, b];
  const dims = [count, tokens, width];
  // Tight loops by case: the step view's first ask assembles a whole BERT-base layer (1.2 M values) this way.
  if (!transposed) {
    if (multiplier === 1) return { dims, data };
    const out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = multiplier * data[i];
    return { dims, data: out };
  }
  const out = new Float32Array(data.length);
  for (let head = 0; head < count; head++) {
    const base = head * a * b;
    for (let d = 0; d < width; d++) {
      const from = base + d * b;
      for (let t = 0; t < tokens; t++) out[base + t * width + d] = multiplier * data[from + t];
    }
  }
  return { dims, data: out };
}

function stackTensors(parts: readonly Tensor[]): Tensor {
  const size = parts[0]?.data.length ?? 0;
  const data = new Float32Array(size * parts.length);
  parts.forEach((part, layer) => data.set(part.data, layer * size));
  return { dims: [parts.length, ...(parts[0]?.dims ?? [])], data };
}
