// Turns the probes of one ONNX file into extra graph outputs. Probes inside the branches of a
// merged decoder's `If` are routed out through new If outputs. The edited model is spliced into
// the original bytes, so weights and unknown fields are copied untouched.

import { onnx } from 'onnx-proto';
import { GraphScope } from './graphScope';
import { OnnxFile } from './onnxFile';
import { buildLensHead, LENS_TOP_K } from './lensHead';
import { openFusedAttention } from './fusedAttention';
import { headMaskInput, headMaskTargets, maskHeads, maskRows } from './headMask';
import type { ScaleFactor } from './attentionChecks';
import { findGraphStacks, findStackProbes, QkvProbe, StackProbes } from './probeFinder';
import { lengthDelimited, readFields } from './protoWire';
import { buildQkvHeads, QkvHead } from './qkvHeads';
import { valueInfo } from './subgraph';

const MODEL_GRAPH_FIELD = 7;
const GRAPH_NODE_FIELD = 1;
const GRAPH_INPUT_FIELD = 11;
const GRAPH_OUTPUT_FIELD = 12;
/** Prefix of outputs added for probes inside If branches. */
const PROBE_OUTPUT_PREFIX = 'inspector_probe:';
const LOGITS = 'logits';

/** Probe keys: `self.3`, `cross.0`, `hidden.0`…`hidden.L`, `embedding`. */
export type ProbeKey = string;

/** One stack of an instrumented file. */
export interface InstrumentedStack {
  /** Set where one file holds both an encoder and a decoder. */
  readonly stack?: 'encoder' | 'decoder';
  /** The output head as its own model (the logit lens), where the graph has logits and one can be cut out. */
  readonly lensHead?: Uint8Array;
  /** Blocks whose Q/K/V can be computed from the layer's input alone (the step-by-step view). */
  readonly qkvHeads: readonly QkvHead[];
  /** Probe key → name of the graph output that carries it. */
  readonly outputs: ReadonlyMap<ProbeKey, string>;
  readonly probes: StackProbes;
  /** `self.0`, `cross.1`… → its row of the head mask input (HEAD_MASK_INPUT). */
  readonly maskRows: ReadonlyMap<string, number>;
}

export interface InstrumentedModel {
  readonly bytes: Uint8Array;
  /** One stack, or an encoder then a decoder. */
  readonly stacks: readonly InstrumentedStack[];
  /** Fused attention nodes replaced by their explicit computation, by kind. */
  readonly openedUp: readonly string[];
  /** Rows of the head mask input the file takes (0: it takes none). */
  readonly maskBlocks: number;
}

export function probeKeys(probes: StackProbes): Map<ProbeKey, string> {
  const keys = new Map<ProbeKey, string>();
  for (const probe of probes.attention) keys.set(`${probe.kind}.${probe.layer}`, probe.tensor);
  for (const probe of probes.qkv) for (const [key, tensor] of qkvProbeKeys(probe)) keys.set(key, tensor);
  probes.hiddenStates?.forEach((tensor, layer) => keys.set(`hidden.${layer}`, tensor));
  probes.ffn?.forEach((tensor, layer) => keys.set(`ffn.${layer}`, tensor));
  if (probes.lensInput && probes.lensInput !== probes.hiddenStates?.at(-1)) keys.set('lens', probes.lensInput);
  if (probes.embedding) keys.set('embedding', probes.embedding);
  return keys;
}

/** A block's Q, K and V and the scale factors fetched with them (those the graph does not state as constants). */
export function qkvProbeKeys(probe: QkvProbe): [ProbeKey, string][] {
  const block = `${probe.kind}.${probe.layer}`;
  const keys: [ProbeKey, string][] = [[`q.${block}`, probe.queries], [`k.${block}`, probe.keys], [`v.${block}`, probe.values]];
  scaleFactors(probe).forEach((factor, i) => factor.value === undefined && keys.push([scaleKey(block, i), factor.tensor]));
  return keys;
}

/** A block's scale factors in one order: on the queries, on the keys, on the scores. */
export function scaleFactors(probe: QkvProbe): ScaleFactor[] {
  return [...probe.scaling.query, ...probe.scaling.key, ...probe.scaling.scores];
}

/** The probe key of a block's scale factor that is fetched (not a constant): `scale.self.0.1`. */
export const scaleKey = (block: string, index: number) => `scale.${block}.${index}`;

export interface InstrumentOptions {
  /**
   * Cut out each block's Q/K/V model where one can be (default). Those blocks' Q, K and V are then not
   * graph outputs: a graph output cannot be computed in place, so each costs every run, fetched or not.
   * `false` keeps every block's Q, K and V as graph outputs (what a model gets where no cut succeeds).
   */
  readonly qkvHeads?: boolean;
}

export function instrument(file: OnnxFile, options: InstrumentOptions = {}): InstrumentedModel {
  const opened = openFusedAttention(new GraphScope(file.graph), file.graph, file.opset);
  const scope = new GraphScope(opened?.graph ?? file.graph);
  const stacks = findGraphStacks(scope).map(({ stack, probes }) => ({ stack, probes: withKeptReasons(probes, opened?.kept ?? []) }));
  const cutHeads = options.qkvHeads !== false;
  if (stacks.some(({ probes }) => probes.attention.length > 0) || !file.graph.node.some((node) => node.opType === 'If')) {
    return { ...instrumentMainGraph(file, scope, stacks, opened?.replacements ?? new Map(), cutHeads), openedUp: opened?.opened ?? [] };
  }
  return { ...(instrumentBranches(file, scope, cutHeads) ?? instrumentMainGraph(file, scope, stacks, new Map(), cutHeads)), openedUp: [] };
}

/** Probe keys of the Q, K, V and scale factors that the blocks' own models give instead of the graph. */
function keysFromHeads(probes: StackProbes, heads: readonly QkvHead[]): Set<ProbeKey> {
  const blocks = new Set(heads.map((head) => head.block));
  return new Set(probes.qkv.filter((probe) => blocks.has(`${probe.kind}.${probe.layer}`)).flatMap((probe) => qkvProbeKeys(probe).map(([key]) => key)));
}

/** Says why fused attention that stays fused could not be opened up. */
function withKeptReasons(probes: StackProbes, kept: readonly string[]): StackProbes {
  if (kept.length === 0) return probes;
  const unobservable = probes.unobservable.map((entry) => (entry.what === 'attention probabilities' ? { ...entry, why: `${entry.why} Not opened up: ${kept.join('; ')}.` } : entry));
  return { ...probes, unobservable };
}

/** Every attention block of the stacks in one order (stack, then kind and layer): the rows of the head mask. */
function maskRowsOf(stacks: readonly { probes: StackProbes }[]): { tensors: string[]; rows: Map<string, number>[] } {
  const tensors: string[] = [];
  const rows = stacks.map(({ probes }) => new Map(probes.attention.map((probe) => [`${probe.kind}.${probe.layer}`, tensors.push(probe.tensor) - 1] as const)));
  return { tensors, rows };
}

function instrumentMainGraph(file: OnnxFile, scope: GraphScope, found: ReturnType<typeof findGraphStacks>, fused: ReadonlyMap<number, readonly onnx.INodeProto[]>, cutHeads: boolean): Omit<InstrumentedModel, 'openedUp'> {
  const mask = maskRowsOf(found);
  const maskTargets = headMaskTargets(scope, mask.tensors);
  // The masked tensors are among the original nodes or the nodes that opened up a fused one.
  const replacements = new Map(fused);
  const rows = maskRows(mask.tensors.length, 'inspector_mask', file.opset);
  let masked = false;
  file.graph.node.forEach((node, index) => {
    const nodes = [...(fused.get(index) ?? [node])];
    if (maskHeads(nodes, maskTargets, rows.rows, `inspector_mask/${index}`, file.opset, (tensor) => scope.elemType(tensor))) {
      replacements.set(index, nodes);
      masked = true;
    }
  });
  // The rows read only the graph's input: they go first.
  if (masked) replacements.set(0, [...rows.nodes, ...(replacements.get(0) ?? [file.graph.node[0]])]);
  const added: Uint8Array[] = [];
  const addedNames = new Set<string>();
  // The cross-attention of a graph holding both stacks reads the encoder's output, a hidden state too.
  const layerInputs = new Set(found.flatMap(({ probes }) => probes.hiddenStates ?? []));
  const stacks = found.map(({ stack, probes }, index): InstrumentedStack => {
    const qkvHeads = cutHeads ? qkvHeadsOf(file, scope, probes, layerInputs) : [];
    const fromHeads = keysFromHeads(probes, qkvHeads);
    const outputs = new Map<ProbeKey, string>();
    for (const [key, tensor] of probeKeys(probes)) {
      if (fromHeads.has(key)) continue;
      outputs.set(key, tensor);
      if (scope.outputs.has(tensor) || addedNames.has(tensor)) continue;
      addedNames.add(tensor);
      added.push(onnx.ValueInfoProto.encode(valueInfo(tensor, scope.elemType(tensor))).finish());
    }
    // The output head reads the last stack (the decoder of an encoder-decoder graph).
    const last = index === found.length - 1;
    const lensHead = last && probes.lensInput && scope.outputs.has(LOGITS) ? buildLensHead(file.model, scope, probes.lensInput, LOGITS, LENS_TOP_K) : undefined;
    return { stack, lensHead, qkvHeads, outputs, probes, maskRows: mask.rows[index] };
  });
  const inputs = mask.tensors.length > 0 ? [onnx.ValueInfoProto.encode(headMaskInput()).finish()] : [];
  return { bytes: spliceGraph(file.bytes, replacements, added, inputs), stacks, maskBlocks: mask.tensors.length };
}

/** Merged decoders: the same probe is taken from whichever branch runs. */
function instrumentBranches(file: OnnxFile, scope: GraphScope, cutHeads: boolean): Omit<InstrumentedModel, 'openedUp'> | undefined {
  const index = file.graph.node.findIndex((node) => node.opType === 'If');
  const original = file.graph.node[index];
  const node = onnx.NodeProto.decode(onnx.NodeProto.encode(original).finish());
  const branch = (name: string) => node.attribute.find((attribute) => attribute.name === name)?.g;
  const thenGraph = branch('then_branch');
  const elseGraph = branch('else_branch');
  if (!thenGraph?.output || !elseGraph?.output) return undefined;
  const thenOutputs = thenGraph.output;
  const elseOutputs = elseGraph.output;
  const thenScope = new GraphScope(thenGraph, scope);
  const elseScope = new GraphScope(elseGraph, scope);
  const thenProbes = findStackProbes(thenScope);
  const elseProbes = findStackProbes(elseScope);
  if (thenProbes.attention.length === 0 && elseProbes.attention.length === 0) return undefined;
  const thenKeys = probeKeys(thenProbes);
  const elseKeys = probeKeys(elseProbes);
  // A probe leaves the If where both branches have it; the inspection runs the no-cache branch.
  const shown = (key: ProbeKey) => thenKeys.has(key) && elseKeys.has(key);
  const hiddenStates = elseProbes.hiddenStates?.every((_, layer) => shown(`hidden.${layer}`)) ? elseProbes.hiddenStates : undefined;
  // Cut before the heads are masked: the branch's node list changes then.
  const candidates = elseProbes.qkv.filter((probe) => ['q', 'k', 'v'].every((part) => shown(`${part}.${probe.kind}.${probe.layer}`)));
  const qkvHeads = cutHeads ? qkvHeadsOf(file, elseScope, { ...elseProbes, qkv: candidates, hiddenStates }, new Set(hiddenStates ?? [])) : [];
  const fromHeads = keysFromHeads(elseProbes, qkvHeads);
  const headBlocks = new Set(qkvHeads.map((head) => head.block));

  const outputs = new Map<ProbeKey, string>();
  const added: Uint8Array[] = [];
  for (const [key, thenTensor] of thenKeys) {
    const elseTensor = elseKeys.get(key);
    if (!elseTensor || fromHeads.has(key)) continue;
    const thenPosition = thenOutputs.findIndex((output) => output.name === thenTensor);
    if (thenPosition >= 0 && elseOutputs[thenPosition]?.name === elseTensor) {
      outputs.set(key, node.output[thenPosition]);
      continue;
    }
    const outerName = `${PROBE_OUTPUT_PREFIX}${key}`;
    const elemType = thenScope.elemType(thenTensor);
    thenOutputs.push(valueInfo(ownedBy(thenGraph, thenScope, thenTensor, key), elemType));
    elseOutputs.push(valueInfo(ownedBy(elseGraph, elseScope, elseTensor, key), elseScope.elemType(elseTensor)));
    node.output.push(outerName);
    added.push(onnx.ValueInfoProto.encode(valueInfo(outerName, elemType)).finish());
    outputs.set(key, outerName);
  }
  // Report what both branches can show; the caller runs the no-cache branch for inspection.
  const probes: StackProbes = {
    attention: elseProbes.attention.filter((probe) => outputs.has(`${probe.kind}.${probe.layer}`)),
    qkv: candidates.filter((probe) => headBlocks.has(`${probe.kind}.${probe.layer}`) || ['q', 'k', 'v'].every((part) => outputs.has(`${part}.${probe.kind}.${probe.layer}`))),
    hiddenStates,
    ffn: elseProbes.ffn?.every((_, layer) => outputs.has(`ffn.${layer}`)) ? elseProbes.ffn : undefined,
    lensInput: elseProbes.lensInput,
    preNorm: elseProbes.preNorm ?? thenProbes.preNorm,
    // Both branches read the same table; the first step's branch slices it from position 0.
    positions: thenProbes.positions ?? elseProbes.positions,
    embedding: outputs.has('embedding') ? elseProbes.embedding : undefined,
    tokenInput: elseProbes.tokenInput,
    maskInputs: elseProbes.maskInputs,
    scoreChecks: elseProbes.scoreChecks,
    unobservable: dedupe([...elseProbes.unobservable, ...thenProbes.unobservable]),
  };
  // Both branches mask the same blocks with the same rows.
  const mask = maskRowsOf([{ probes }]);
  const branchTensors = (keys: ReadonlyMap<ProbeKey, string>) => probes.attention.map((probe) => keys.get(`${probe.kind}.${probe.layer}`)!);
  const maskBranch = (graph: onnx.IGraphProto, branchScope: GraphScope, keys: ReadonlyMap<ProbeKey, string>, prefix: string) => {
    const rows = maskRows(mask.tensors.length, prefix, file.opset);
    if (maskHeads(graph.node!, headMaskTargets(branchScope, branchTensors(keys)), rows.rows, prefix, file.opset, (tensor) => branchScope.elemType(tensor))) graph.node!.unshift(...rows.nodes);
  };
  maskBranch(thenGraph, thenScope, thenKeys, 'inspector_mask/then');
  maskBranch(elseGraph, elseScope, elseKeys, 'inspector_mask/else');
  const replacement = new Map([[index, [node]]]);
  // The head of the no-cache branch reads the same hidden states the inspection reports.
  const logitsPosition = original.output?.indexOf(LOGITS) ?? -1;
  const branchLogits = logitsPosition >= 0 ? elseOutputs[logitsPosition]?.name : undefined;
  const lensHead = probes.lensInput && branchLogits ? buildLensHead(file.model, elseScope, probes.lensInput, branchLogits, LENS_TOP_K) : undefined;
  const inputs = mask.tensors.length > 0 ? [onnx.ValueInfoProto.encode(headMaskInput()).finish()] : [];
  return { bytes: spliceGraph(file.bytes, replacement, added, inputs), stacks: [{ lensHead, qkvHeads, outputs, probes, maskRows: mask.rows[0] }], maskBlocks: mask.tensors.length };
}

/** Q/K/V heads starting from the run's hidden states and the graph's inputs. */
function qkvHeadsOf(file: OnnxFile, scope: GraphScope, probes: StackProbes, layerInputs: ReadonlySet<string>): QkvHead[] {
  const tensorsOf = (probe: QkvProbe) => qkvProbeKeys(probe).map(([, tensor]) => tensor);
  return buildQkvHeads(file.model, scope, probes.qkv, tensorsOf, (tensor) => layerInputs.has(tensor) || scope.isInput(tensor));
}

/**
 * A branch may return only what it computes, and each value once: a value from outside (the cached
 * keys a branch reads straight from its inputs), or one it already returns (a cache output), leaves
 * through an Identity added to the branch.
 */
function ownedBy(branch: onnx.IGraphProto, scope: GraphScope, tensor: string, key: ProbeKey): string {
  if (scope.producer(tensor) && !(branch.output ?? []).some((output) => output.name === tensor)) return tensor;
  const copy = `${PROBE_OUTPUT_PREFIX}${key}/inside`;
  (branch.node ??= []).push(onnx.NodeProto.create({ opType: 'Identity', input: [tensor], output: [copy], name: copy }));
  return copy;
}

function dedupe<T extends { what: string }>(items: readonly T[]): T[] {
  return items.filter((item, i) => items.findIndex((other) => other.what === item.what) === i);
}

/** Copies the model, replacing some graph nodes (each by one or more) and appending graph inputs and outputs. */
function spliceGraph(model: Uint8Array, replaceNodes: ReadonlyMap<number, readonly onnx.INodeProto[]>, appendOutputs: readonly Uint8Array[], appendInputs: readonly Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const field of readFields(model)) {
    if (field.fieldNumber !== MODEL_GRAPH_FIELD) {
      parts.push(model.subarray(field.start, field.end));
      continue;
    }
    const graphParts: Uint8Array[] = [];
    let nodeIndex = 0;
    for (const graphField of readFields(model, field.payloadStart, field.end)) {
      const replacement = graphField.fieldNumber === GRAPH_NODE_FIELD ? replaceNodes.get(nodeIndex++) : undefined;
      graphParts.push(...(replacement ? replacement.flatMap((node) => lengthDelimited(GRAPH_NODE_FIELD, [onnx.NodeProto.encode(node).finish()])) : [model.subarray(graphField.start, graphField.end)]));
    }
    for (const input of appendInputs) graphParts.push(...lengthDelimited(GRAPH_INPUT_FIELD, [input]));
    for (const output of appendOutputs) graphParts.push(...lengthDelimited(GRAPH_OUTPUT_FIELD, [output]));
    parts.push(...lengthDelimited(MODEL_GRAPH_FIELD, graphParts));
  }
  return Buffer.concat(parts);
}
