// Reduces an Inspection to what the panel needs up front (the summary), and answers the panel's
// questions from the full Inspection: in the engine process, or in the offline report's page.

import { attentionGroupKey, Inspection, QkvGroup, StackInspection, Tensor } from '../protocol/inspection';
import type { AttentionGroupSummary, FfnUnit, HeadQkv, InspectionSummary, LayerStats, NeighborToken, PanelDataMethods, StackProjection, StackSummary } from '../protocol/panelData';
import { THUMBNAIL_SIZE } from '../protocol/panelData';
import { headMean, headSlice, layerSlice, rollout, thumbnails } from './attentionMath';
import { pca2 } from './pca';
import { layerData } from './layerStack';

export function summarize(inspection: Inspection, id: string): InspectionSummary {
  const groups: AttentionGroupSummary[] = inspection.attention.map((group) => {
    const [layers, heads, queries, keys] = group.tensor.dims;
    return {
      key: attentionGroupKey(inspection.family, group.stack, group.kind),
      stack: group.stack,
      kind: group.kind,
      layers,
      heads,
      queries,
      keys,
      queryStack: group.stack,
      keyStack: group.kind === 'cross' ? 'encoder' : group.stack,
      thumbnails: thumbnails(group.tensor, THUMBNAIL_SIZE),
      hasQkv: qkvGroupKeys(inspection).includes(attentionGroupKey(inspection.family, group.stack, group.kind)),
    };
  });
  return {
    id,
    modelName: inspection.modelName,
    family: inspection.family,
    executionProvider: inspection.executionProvider,
    text: inspection.text,
    target: inspection.target,
    stacks: inspection.stacks.map(summarizeStack),
    groups,
    timingsMs: inspection.timingsMs,
    notices: inspection.notices,
    ...(inspection.architecture ? { architecture: inspection.architecture } : {}),
    ...(inspection.interventions ? { interventions: true } : {}),
    ...(inspection.logits ? { logitsStack: inspection.stacks[inspection.stacks.length - 1].stack } : {}),
  };
}

function summarizeStack(stack: StackInspection): StackSummary {
  const hidden = stack.hiddenStates;
  const base = {
    stack: stack.stack,
    tokens: stack.tokens,
    ffnWidth: stack.ffnActivations?.dims[2] ?? stack.deferredFfnActivations?.width,
    hasLogitLens: stack.logitLens !== undefined || stack.deferredLogitLens !== undefined,
    hasPositions: stack.positions !== undefined,
    hasProjection: hidden !== undefined || stack.embeddings !== undefined,
    hasEmbeddings: stack.embeddings !== undefined,
  };
  if (!hidden) return base;
  const [layers, tokens, width] = hidden.dims;
  const norms = new Float32Array(layers * tokens);
  const stats: LayerStats[] = [];
  for (let layer = 0; layer < layers; layer++) {
    const slice = layerData(hidden, layer);
    let sum = 0;
    let squares = 0;
    let maxAbs = 0;
    let normSum = 0;
    for (let t = 0; t < tokens; t++) {
      let norm = 0;
      for (let d = 0; d < width; d++) {
        const value = slice[t * width + d];
        sum += value;
        norm += value * value;
        maxAbs = Math.max(maxAbs, Math.abs(value));
      }
      squares += norm;
      norms[layer * tokens + t] = Math.sqrt(norm);
      normSum += Math.sqrt(norm);
    }
    const count = tokens * width;
    const mean = sum / count;
    stats.push({ mean, std: Math.sqrt(Math.max(0, squares / count - mean * mean)), maxAbs, meanNorm: normSum / tokens });
  }
  return { ...base, hiddenSize: width, norms: { dims: [layers, tokens], data: norms }, stats };
}

/** The PCA of a stack: each layer's hidden states (signs aligned layer to layer) and the embedding lookup. */
export function stackProjection(stack: StackInspection): StackProjection {
  const embeddingProjection = stack.embeddings ? { dims: [stack.tokens.length, 2], data: pca2(stack.embeddings.data, stack.embeddings.dims[0], stack.embeddings.dims[1]).coords } : undefined;
  const hidden = stack.hiddenStates;
  if (!hidden) return { embeddingProjection };
  const [layers, tokens, width] = hidden.dims;
  const projection = new Float32Array(layers * tokens * 2);
  const explained: [number, number][] = [];
  for (let layer = 0; layer < layers; layer++) {
    const { coords, explained: ratio } = pca2(layerData(hidden, layer), tokens, width);
    alignSigns(coords, layer > 0 ? projection.subarray((layer - 1) * tokens * 2, layer * tokens * 2) : undefined);
    projection.set(coords, layer * tokens * 2);
    explained.push([ratio[0], ratio[1]]);
  }
  return { projection: { dims: [layers, tokens, 2], data: projection }, explained, embeddingProjection };
}

/** Flips components so a token does not jump to the mirror side between layers. */
function alignSigns(coords: Float32Array, previous: Float32Array | undefined): void {
  for (let component = 0; component < 2; component++) {
    let agreement = 0;
    for (let i = component; i < coords.length; i += 2) agreement += previous ? coords[i] * previous[i] : coords[i] ** 3;
    if (agreement < 0) for (let i = component; i < coords.length; i += 2) coords[i] = -coords[i];
  }
}

export function groupTensor(inspection: Inspection, key: string): Tensor {
  const group = inspection.attention.find((entry) => attentionGroupKey(inspection.family, entry.stack, entry.kind) === key);
  if (!group) throw new RangeError(`no attention group ${key}`);
  return group.tensor;
}

function nearest(inspection: Inspection, params: PanelDataMethods['neighbors']['params']): NeighborToken[] {
  const hidden = inspection.stacks.find((stack) => stack.stack === params.stack)?.hiddenStates;
  if (!hidden) return [];
  const [, tokens, width] = hidden.dims;
  const layer = layerData(hidden, params.layer);
  const at = (token: number) => layer.subarray(token * width, (token + 1) * width);
  const norm = (vector: Float32Array) => {
    let sum = 0;
    for (let d = 0; d < width; d++) sum += vector[d] * vector[d];
    return Math.sqrt(sum) || 1;
  };
  const query = at(params.token);
  const queryNorm = norm(query);
  const scored: NeighborToken[] = [];
  for (let token = 0; token < tokens; token++) {
    if (token === params.token) continue;
    const vector = at(token);
    let dot = 0;
    for (let d = 0; d < width; d++) dot += vector[d] * query[d];
    scored.push({ index: token, cosine: dot / (norm(vector) * queryNorm) });
  }
  return scored.sort((a, b) => b.cosine - a.cosine).slice(0, params.count);
}

/** The most active FFN units of one layer and token ([layers, tokens, width] activations). */
export function topUnits(ffn: Tensor | undefined, params: PanelDataMethods['ffnTopUnits']['params']): FfnUnit[] {
  if (!ffn) return [];
  const [layers, tokens, width] = ffn.dims;
  if (params.layer < 0 || params.layer >= layers || params.token < 0 || params.token >= tokens) throw new RangeError(`no FFN activations at layer ${params.layer}, token ${params.token}`);
  const row = ffn.data.subarray((params.layer * tokens + params.token) * width, (params.layer * tokens + params.token + 1) * width);
  return [...row.keys()].sort((a, b) => row[b] - row[a]).slice(0, params.count).map((unit) => ({ unit, value: row[unit] }));
}

/** The groups whose Q/K/V the inspection holds or the engine can compute. */
function qkvGroupKeys(inspection: Inspection): readonly string[] {
  return inspection.qkv?.map((group) => attentionGroupKey(inspection.family, group.stack, group.kind)) ?? inspection.deferredQkv?.groups ?? [];
}

/** One head of the Q/K/V groups: [tokens, headDim] each, with its layer's scale. */
export function headQkvOf(inspection: Inspection, groups: readonly QkvGroup[], params: PanelDataMethods['headQkv']['params']): HeadQkv {
  const group = groups.find((entry) => attentionGroupKey(inspection.family, entry.stack, entry.kind) === params.group);
  if (!group) throw new RangeError(`The queries, keys and values of ${params.group} are not observable in this model.`);
  const [layers, heads] = group.queries.dims;
  if (params.layer < 0 || params.layer >= layers || params.head < 0 || params.head >= heads) throw new RangeError(`${params.group} has no layer ${params.layer + 1}, head ${params.head + 1}`);
  return {
    queries: headSlice(group.queries, params.layer, params.head),
    keys: headSlice(group.keys, params.layer, params.head),
    values: headSlice(group.values, params.layer, params.head),
    scale: group.scale[params.layer],
    ...(group.queryScale ? { queryScale: group.queryScale[params.layer] } : {}),
  };
}

/** Answers a panel question from the full inspection. */
export function answerPanelQuestion<K extends keyof PanelDataMethods>(inspection: Inspection, method: K, params: PanelDataMethods[K]['params']): PanelDataMethods[K]['result'] {
  type Params<M extends keyof PanelDataMethods> = PanelDataMethods[M]['params'];
  switch (method) {
    case 'attentionHead': {
      const p = params as Params<'attentionHead'>;
      return headSlice(groupTensor(inspection, p.group), p.layer, p.head) as PanelDataMethods[K]['result'];
    }
    case 'attentionLayer': {
      const p = params as Params<'attentionLayer'>;
      return layerSlice(groupTensor(inspection, p.group), p.layer) as PanelDataMethods[K]['result'];
    }
    case 'headQkv': {
      const p = params as Params<'headQkv'>;
      if (!inspection.qkv) throw new RangeError('Queries, keys and values are not part of this inspection: inspect with --qkv to include them.');
      return headQkvOf(inspection, inspection.qkv, p) as PanelDataMethods[K]['result'];
    }
    case 'attentionMean': {
      const p = params as Params<'attentionMean'>;
      return headMean(groupTensor(inspection, p.group), p.layer) as PanelDataMethods[K]['result'];
    }
    case 'attentionRollout':
      return rollout(groupTensor(inspection, (params as Params<'attentionRollout'>).group)) as PanelDataMethods[K]['result'];
    case 'neighbors':
      return nearest(inspection, params as Params<'neighbors'>) as PanelDataMethods[K]['result'];
    case 'projection': {
      const stack = inspection.stacks.find((entry) => entry.stack === (params as Params<'projection'>).stack);
      if (!stack) throw new RangeError(`no ${(params as Params<'projection'>).stack} stack`);
      return stackProjection(stack) as PanelDataMethods[K]['result'];
    }
    case 'logitLens': {
      const stack = inspection.stacks.find((entry) => entry.stack === (params as Params<'logitLens'>).stack);
      if (!stack?.logitLens) throw new RangeError(`no logit lens for the ${(params as Params<'logitLens'>).stack} stack`);
      return stack.logitLens as PanelDataMethods[K]['result'];
    }
    case 'ffnTopUnits': {
      const p = params as Params<'ffnTopUnits'>;
      return topUnits(inspection.stacks.find((entry) => entry.stack === p.stack)?.ffnActivations, p) as PanelDataMethods[K]['result'];
    }
    case 'positions': {
      const stack = inspection.stacks.find((entry) => entry.stack === (params as Params<'positions'>).stack);
      if (!stack?.positions) throw new RangeError(`The ${(params as Params<'positions'>).stack} stack's positions were not found in the graph.`);
      return { term: stack.positions, embeddings: stack.embeddings } as PanelDataMethods[K]['result'];
    }
    case 'ablationEffect':
    case 'nextTokens':
    case 'headDependence':
      throw new RangeError('Switching heads off and the next-token view need the engine: open the model in VS Code.');
    default:
      throw new RangeError(`unknown panel question ${String(method)}`);
  }
}
