// Decides, from the content shown and the UI state, which view draws what: the valid state (clamped),
// the tabs and controls that apply, how keys and controls change state, and the data to fetch.

import type { Tensor, Token, Translation } from '../src/protocol/inspection';
import type { AttentionGroupSummary, InspectionSummary, StackSummary } from '../src/protocol/panelData';
import { groupMatrix, translationMatrix, type AttentionMode } from './attentionData';
import type { CachedDataSource } from './dataCache';
import type { PanelUiState, ViewTab } from './panelState';
import { fill, format, t } from './strings';
import type { TabItem } from './tabs';
import type { Theme } from './theme';
import { tokenLabel, visibleIndexes, type TokenRef, type TokenType } from './tokenInfo';
import type { ToolbarField, ToolbarModel } from './toolbar';
import { AttentionHeatmap } from './views/attentionHeatmap';
import { EmbeddingScatter } from './views/embeddingScatter';
import { HeadView } from './views/headView';
import { LayerActivations } from './views/layerActivations';
import { ModelView } from './views/modelView';
import { StepByStep } from './views/stepByStep';
import { HeadDependenceView } from './views/headDependence';
import type { PanelView } from './views/view';
import { ModelPlans } from './modelPlans';
import { ownTranslationAlignment } from './ownTranslation';
import { clamp, emptyPlan, stackChoice, stackWord } from './planParts';

export type Content =
  | { readonly kind: 'inspection'; readonly summary: InspectionSummary; readonly source: CachedDataSource; readonly types: ReadonlyMap<TokenRef['stack'], TokenType[]> }
  | { readonly kind: 'translation'; readonly translation: Translation; readonly types: ReadonlyMap<TokenRef['stack'], TokenType[]>; readonly source?: CachedDataSource };

export interface Plan {
  /** Names the drawing: a mode of the attention tab, `embeddings`, `activations` or `empty`. */
  readonly key: string;
  readonly ui: PanelUiState;
  readonly tab: ViewTab;
  readonly mode: AttentionMode;
  readonly modes: readonly TabItem<AttentionMode>[];
  readonly toolbar: ToolbarModel;
  readonly choices: Partial<Record<ToolbarField, (index: number) => Partial<PanelUiState>>>;
  /** State change for ←/→ (dx) and ↑/↓ (dy). */
  readonly step?: (dx: number, dy: number) => Partial<PanelUiState> | undefined;
  /** The view that draws; the planner alone calls its update(). */
  readonly view?: Omit<PanelView<unknown>, 'update'>;
  readonly message?: string;
  /** Fetches what the view needs; the returned function draws it (synchronously). */
  prepare(): Promise<() => void>;
}

export interface PlannerCallbacks {
  readonly onHover: (token: TokenRef | undefined) => void;
  readonly onFocusHead: (layer: number, head: number) => void;
  readonly onHeadsChange: (heads: boolean[]) => void;
  readonly onPosition: (position: number) => void;
  /** Heads switched off changed; `showEffect` moves to the model view, where the effect is drawn. */
  readonly onOffChange: (off: readonly string[], showEffect?: boolean) => void;
  /** A block of the architecture view opens its view. */
  readonly onNavigate: (patch: Partial<PanelUiState>) => void;
  readonly onSampling: (patch: Partial<Pick<PanelUiState, 'temperature' | 'topK' | 'topP'>>) => void;
}

const numbers = (count: number) => Array.from({ length: count }, (_, i) => String(i + 1));
/** Steps through -1 (average) … count-1, wrapping. */
const cycle = (value: number, delta: number, count: number) => ((value + 1 + delta + count + 1) % (count + 1)) - 1;
const FFN_UNITS_SHOWN = 16;

export class ViewPlanner {
  private readonly views: { heatmap?: AttentionHeatmap; steps?: StepByStep; heads?: HeadView; model?: ModelView; scatter?: EmbeddingScatter; activations?: LayerActivations; dependence?: HeadDependenceView } = {};
  /** The model's own tabs: architecture, positions, next token. */
  private readonly modelPlans: ModelPlans;
  private neighbourSource?: { source: CachedDataSource; id: string; stack: StackSummary['stack'] };

  constructor(
    private readonly theme: Theme,
    private readonly callbacks: PlannerCallbacks,
  ) {
    this.modelPlans = new ModelPlans(theme, callbacks);
  }

  plan(content: Content, ui: PanelUiState): Plan {
    if (content.kind === 'translation') return ui.mode === 'dependence' && content.source ? this.dependencePlan(content.translation, content.source, ui) : this.translationPlan(content.translation, ui, !!content.source);
    if (ui.tab === 'embeddings') return this.embeddingsPlan(content, ui);
    if (ui.tab === 'activations') return this.activationsPlan(content, ui);
    if (ui.tab === 'next') return this.modelPlans.nextToken(content, ui);
    if (ui.tab === 'architecture') return this.modelPlans.architecture(content, ui);
    if (ui.tab === 'positions') return this.modelPlans.positions(content, ui);
    return this.attentionPlan(content, ui);
  }

  dispose(): void {
    for (const view of Object.values(this.views)) view?.dispose();
    this.modelPlans.dispose();
  }

  private get heatmap(): AttentionHeatmap {
    return (this.views.heatmap ??= new AttentionHeatmap(this.callbacks.onHover));
  }

  private attentionPlan(content: Extract<Content, { kind: 'inspection' }>, ui: PanelUiState): Plan {
    const { summary, source } = content;
    const groups = summary.groups;
    if (groups.length === 0) return emptyPlan(ui, t('noAttention'));
    const isSelf = (g: AttentionGroupSummary) => g.kind === 'self' && g.queries === g.keys;
    const modes: TabItem<AttentionMode>[] = [
      { key: 'model', label: t('modeModel') },
      { key: 'heatmap', label: t('modeHeatmap') },
      ...(groups.some((g) => g.hasQkv) ? [{ key: 'steps' as const, label: t('modeSteps') }] : []),
      { key: 'heads', label: t('modeHeads') },
      { key: 'mean', label: t('modeMean') },
      ...(groups.some(isSelf) ? [{ key: 'rollout' as const, label: t('modeRollout') }] : []),
      ...(groups.some((g) => g.kind === 'cross') ? [{ key: 'alignment' as const, label: t('modeAlignment') }] : []),
    ];
    const mode = modes.some((m) => m.key === ui.mode) ? ui.mode : 'model';
    const allowed = mode === 'rollout' ? groups.filter(isSelf) : mode === 'alignment' ? groups.filter((g) => g.kind === 'cross') : mode === 'steps' ? groups.filter((g) => g.hasQkv) : groups;
    const group = allowed.find((g) => g.key === ui.group) ?? allowed[0];
    const layer = clamp(ui.layer, 0, group.layers - 1);
    const head = clamp(ui.head, 0, group.heads - 1);
    const alignLayer = clamp(ui.alignLayer, -1, group.layers - 1);
    const alignHead = clamp(ui.alignHead, -1, group.heads - 1);
    const query = clamp(ui.query, 0, group.queries - 1);
    const next: PanelUiState = { ...ui, tab: 'attention', mode, group: group.key, layer, head, alignLayer, alignHead, query };
    const stackTokens = (stack: string): readonly Token[] => summary.stacks.find((s) => s.stack === stack)?.tokens ?? [];
    const queryTokens = stackTokens(group.queryStack);
    const keyTokens = stackTokens(group.keyStack);
    const threshold = mode === 'heads' ? ui.headThreshold : ui.threshold;
    const common = {
      queryTokens,
      keyTokens,
      queryStack: group.queryStack,
      keyStack: group.keyStack,
      queryIndexes: visibleIndexes(queryTokens, ui.hideSpecial),
      keyIndexes: visibleIndexes(keyTokens, ui.hideSpecial),
      rowTitle: `${t('queries')} · ${stackWord(group.queryStack)}`,
      colTitle: `${t('keys')} · ${stackWord(group.keyStack)}`,
      threshold,
      theme: this.theme,
    };
    const averaged = mode === 'alignment';
    const withLayer = mode !== 'rollout';
    const withHead = mode === 'model' || mode === 'heatmap' || mode === 'steps' || averaged;
    const toolbar: ToolbarModel = {
      group: { labels: allowed.map((g) => g.key), selected: allowed.indexOf(group) },
      layer: withLayer ? (averaged ? { labels: [t('average'), ...numbers(group.layers)], selected: alignLayer + 1 } : { labels: numbers(group.layers), selected: layer }) : undefined,
      head: withHead ? (averaged ? { labels: [t('average'), ...numbers(group.heads)], selected: alignHead + 1 } : { labels: numbers(group.heads), selected: head }) : undefined,
      token: mode === 'steps' ? { labels: queryTokens.map(tokenLabel), selected: query } : undefined,
      threshold: mode === 'model' || mode === 'steps' ? undefined : threshold,
      hideSpecial: mode === 'model' ? undefined : ui.hideSpecial,
    };
    const choices: Plan['choices'] = {
      group: (i) => ({ group: allowed[i].key }),
      layer: (i) => (averaged ? { alignLayer: i - 1 } : { layer: i }),
      head: (i) => (averaged ? { alignHead: i - 1 } : { head: i }),
      token: (i) => ({ query: i }),
    };
    const step = (dx: number, dy: number): Partial<PanelUiState> =>
      mode === 'steps'
        ? { query: clamp(query + dx, 0, group.queries - 1), head: clamp(head + dy, 0, group.heads - 1) }
        : averaged
        ? { alignLayer: dx ? cycle(alignLayer, dx, group.layers) : alignLayer, alignHead: dy ? cycle(alignHead, dy, group.heads) : alignHead }
        : { layer: clamp(layer + dx, 0, group.layers - 1), head: clamp(head + dy, 0, group.heads - 1) };
    const base = { ui: next, tab: 'attention' as const, mode, modes, toolbar, choices, step };
    const id = summary.id;
    const key = group.key;
    // Heads off that this model has (a saved state may name another model's); none where there is no engine.
    const off = summary.interventions ? ui.off.filter((name) => headExists(groups, name)) : undefined;
    switch (mode) {
      case 'model': {
        const view = (this.views.model ??= new ModelView(this.callbacks.onFocusHead, this.callbacks.onOffChange));
        const data = { title: format.modelViewTitle(key, group.layers, group.heads), group, layer, head, theme: this.theme, exportName: `model-view-${key}`, off, inspectionId: id };
        return {
          ...base,
          key: mode,
          view,
          prepare: async () => {
            // The ablated re-run (and translation) is the engine's; the same heads again come from the cache.
            const effect = off?.length ? await source.call('ablationEffect', { id, heads: off.join(',') }) : undefined;
            return () => view.update({ ...data, effect });
          },
        };
      }
      case 'steps': {
        const view = (this.views.steps ??= new StepByStep(this.callbacks.onHover));
        return {
          ...base,
          key: mode,
          view,
          prepare: async () => {
            // The head's Q/K/V: the engine computes them on the first ask, then answers from memory.
            const [qkv, weights] = await Promise.all([source.call('headQkv', { id, group: key, layer, head }), source.call('attentionHead', { id, group: key, layer, head })]);
            const title = format.stepTitle(key, layer, head, tokenLabel(queryTokens[query]));
            const name = `${key}:${layer}:${head}`;
            const switchable = off && {
              off: off.includes(name),
              toggle: () => this.callbacks.onOffChange(off.includes(name) ? off.filter((entry) => entry !== name) : [...off, name], true),
            };
            return () => view.update({ ...common, title, query, qkv, weights, switchable, exportName: `steps-${key}-L${layer + 1}-H${head + 1}-q${query + 1}` });
          },
        };
      }
      case 'heads': {
        const view = (this.views.heads ??= new HeadView(this.callbacks.onHover, this.callbacks.onHeadsChange));
        const enabledHeads = ui.heads.length === group.heads ? ui.heads : Array.from({ length: group.heads }, () => true);
        return {
          ...base,
          key: mode,
          view,
          prepare: async () => {
            const tensor = await source.call('attentionLayer', { id, group: key, layer });
            return () => view.update({ ...common, title: format.headViewTitle(key, layer), layer: tensor, enabledHeads, exportName: `head-view-${key}-L${layer + 1}` });
          },
        };
      }
      default: {
        const fetch: () => Promise<Tensor> =
          mode === 'heatmap'
            ? () => source.call('attentionHead', { id, group: key, layer, head })
            : mode === 'mean'
              ? () => source.call('attentionMean', { id, group: key, layer })
              : mode === 'rollout'
                ? () => source.call('attentionRollout', { id, group: key })
                : () => groupMatrix(source, id, key, group.layers, alignLayer < 0 ? undefined : alignLayer, alignHead < 0 ? undefined : alignHead);
        const title =
          mode === 'heatmap'
            ? format.attentionTitle(key, layer, head)
            : mode === 'mean'
              ? format.meanTitle(key, layer)
              : mode === 'rollout'
                ? format.rolloutTitle(key)
                : format.attentionTitle(key, alignLayer < 0 ? undefined : alignLayer, alignHead < 0 ? undefined : alignHead);
        const suffix = mode === 'heatmap' ? `L${layer + 1}-H${head + 1}` : mode === 'mean' ? `L${layer + 1}-mean` : mode === 'rollout' ? 'rollout' : `L${alignLayer < 0 ? 'avg' : alignLayer + 1}-H${alignHead < 0 ? 'avg' : alignHead + 1}`;
        const view = this.heatmap;
        // Inspect Selection gives the decoder no text: the alignment is then of the model's own translation.
        const decoderTokens = summary.stacks.find((entry) => entry.stack === 'decoder')?.tokens.length ?? 0;
        if (mode === 'alignment' && summary.interventions && decoderTokens <= 1) {
          return { ...base, key: mode, view, prepare: ownTranslationAlignment({ source, id, view, common, hideSpecial: ui.hideSpecial, layer: alignLayer, head: alignHead, fallback: async () => ({ title, tensor: await fetch(), exportName: `alignment-${key}-${suffix}` }) }) };
        }
        return {
          ...base,
          key: mode,
          view,
          prepare: async () => {
            const tensor = await fetch();
            return () => view.update({ ...common, title, tensor, exportName: `${mode === 'heatmap' ? 'attention' : mode}-${key}-${suffix}` });
          },
        };
      }
    }
  }

  /** Modes of a translation's panel: the alignment, and with the host behind it, which heads it depends on. */
  private translationModes(withHost: boolean): TabItem<AttentionMode>[] {
    return [{ key: 'alignment', label: t('modeAlignment') }, ...(withHost ? [{ key: 'dependence' as const, label: t('modeDependence') }] : [])];
  }

  private dependencePlan(translation: Translation, source: CachedDataSource, ui: PanelUiState): Plan {
    const view = (this.views.dependence ??= new HeadDependenceView());
    return {
      key: 'dependence',
      ui,
      tab: 'attention',
      mode: 'dependence',
      modes: this.translationModes(true),
      toolbar: {},
      choices: {},
      view,
      prepare: async () => {
        // One decode per head on the translation engine: seconds, so only when this view is opened.
        const dependence = await source.call('headDependence', { id: 'translation', text: translation.sourceText, targetLanguage: translation.targetLanguage });
        return () => view.update({ title: fill('dependenceTitle', translation.sourceText), dependence, exportName: 'head-dependence' });
      },
    };
  }

  private translationPlan(translation: Translation, ui: PanelUiState, withHost = false): Plan {
    const cross = translation.crossAttention;
    if (!cross) return emptyPlan(ui, t('noCrossAttention'), 'attention');
    const [layers, heads] = cross.dims;
    const alignLayer = clamp(ui.alignLayer, -1, layers - 1);
    const alignHead = clamp(ui.alignHead, -1, heads - 1);
    const layer = alignLayer < 0 ? undefined : alignLayer;
    const head = alignHead < 0 ? undefined : alignHead;
    const view = this.heatmap;
    return {
      key: 'alignment',
      ui: { ...ui, alignLayer, alignHead },
      tab: 'attention',
      mode: 'alignment',
      modes: this.translationModes(withHost),
      toolbar: {
        layer: { labels: [t('average'), ...numbers(layers)], selected: alignLayer + 1 },
        head: { labels: [t('average'), ...numbers(heads)], selected: alignHead + 1 },
        threshold: ui.threshold,
        hideSpecial: ui.hideSpecial,
      },
      choices: { layer: (i) => ({ alignLayer: i - 1 }), head: (i) => ({ alignHead: i - 1 }) },
      step: (dx, dy) => ({ alignLayer: dx ? cycle(alignLayer, dx, layers) : alignLayer, alignHead: dy ? cycle(alignHead, dy, heads) : alignHead }),
      view,
      prepare: async () => {
        const tensor = translationMatrix(translation, layer, head)!;
        return () =>
          view.update({
            title: format.attentionTitle(t('modeAlignment'), layer, head),
            tensor,
            queryTokens: translation.tokens,
            keyTokens: translation.sourceTokens,
            queryStack: 'generated',
            keyStack: 'source',
            queryIndexes: visibleIndexes(translation.tokens, ui.hideSpecial),
            keyIndexes: visibleIndexes(translation.sourceTokens, ui.hideSpecial),
            rowTitle: t('generated'),
            colTitle: t('source'),
            threshold: ui.threshold,
            theme: this.theme,
            exportName: `alignment-L${layer === undefined ? 'avg' : layer + 1}-H${head === undefined ? 'avg' : head + 1}`,
          });
      },
    };
  }

  private embeddingsPlan(content: Extract<Content, { kind: 'inspection' }>, ui: PanelUiState): Plan {
    const stacks = content.summary.stacks.filter((s) => s.hasProjection);
    if (stacks.length === 0) return emptyPlan(ui, t('noProjection'));
    const { stack, choice, pick } = stackChoice(stacks, ui);
    // Hidden states [layers + 1] and the lookup (position -1), as the projection will have them.
    const layers = stack.norms?.dims[0] ?? 1;
    const low = stack.hasEmbeddings ? -1 : 0;
    const position = clamp(ui.position, low, layers - 1);
    const next: PanelUiState = { ...ui, stack: stack.stack, position };
    const view = (this.views.scatter ??= new EmbeddingScatter({
      onHover: this.callbacks.onHover,
      onPosition: this.callbacks.onPosition,
      neighbors: (token, layer) => {
        const target = this.neighbourSource;
        if (!target) return Promise.resolve([]);
        return target.source.call('neighbors', { id: target.id, stack: target.stack, layer, token, count: 8 });
      },
    }));
    const data = {
      title: `${stackWord(stack.stack)} · ${t('tabEmbeddings').toLowerCase()}`,
      stack,
      tokenTypes: content.types.get(stack.stack) ?? [],
      position,
      colorBy: ui.colorBy,
      visibleIndexes: visibleIndexes(stack.tokens, ui.hideSpecial),
      theme: this.theme,
      exportName: `embeddings-${stack.stack}-${position < 0 ? 'lookup' : `L${position}`}`,
    };
    return {
      key: 'embeddings',
      ui: next,
      tab: 'embeddings',
      mode: ui.mode,
      modes: [],
      toolbar: { stack: choice, colorBy: { labels: [t('colorByType'), t('colorByPosition')], selected: ui.colorBy === 'type' ? 0 : 1 }, hideSpecial: ui.hideSpecial },
      choices: { stack: pick, colorBy: (i) => ({ colorBy: i === 0 ? 'type' : 'position' }) },
      step: (dx) => (dx ? { position: clamp(position + dx, low, layers - 1) } : undefined),
      view,
      prepare: async () => {
        // The PCA comes from the engine when the view first opens (the summary leaves it out to arrive fast).
        const projection = await content.source.call('projection', { id: content.summary.id, stack: stack.stack });
        return () => {
          this.neighbourSource = { source: content.source, id: content.summary.id, stack: stack.stack };
          view.update({ ...data, stack: { ...stack, ...projection } });
        };
      },
    };
  }

  private activationsPlan(content: Extract<Content, { kind: 'inspection' }>, ui: PanelUiState): Plan {
    const stacks = content.summary.stacks.filter((s) => s.norms);
    if (stacks.length === 0) return emptyPlan(ui, t('noHiddenStates'));
    // Opens where there is most to see: the stack with the output head (the decoder of an encoder-decoder).
    const withLens = stacks.find((entry) => entry.hasLogitLens);
    const { stack, choice, pick } = stackChoice(stacks, ui, withLens);
    const view = (this.views.activations ??= new LayerActivations(this.callbacks.onHover));
    const lensMissing = !stack.hasLogitLens && withLens ? fill('lensElsewhere', stackWord(stack.stack), stackWord(withLens.stack)) : undefined;
    const layers = (stack.norms?.dims[0] ?? 1) - 1;
    const layer = clamp(ui.layer, 0, Math.max(0, layers - 1));
    const token = clamp(ui.token, 0, stack.tokens.length - 1);
    const base = { title: format.normsTitle(stackWord(stack.stack)), stack, visibleIndexes: visibleIndexes(stack.tokens, ui.hideSpecial), theme: this.theme, exportName: `activations-${stack.stack}` };
    return {
      key: 'activations',
      ui: { ...ui, stack: stack.stack, layer, token },
      tab: 'activations',
      mode: ui.mode,
      modes: [],
      toolbar: {
        stack: choice,
        layer: stack.ffnWidth ? { labels: numbers(layers), selected: layer } : undefined,
        token: stack.ffnWidth ? { labels: stack.tokens.map(tokenLabel), selected: token } : undefined,
        hideSpecial: ui.hideSpecial,
      },
      choices: { stack: pick, layer: (index) => ({ layer: index }), token: (index) => ({ token: index }) },
      step: (dx, dy) => (dx ? { layer: clamp(layer + dx, 0, layers - 1) } : dy ? { token: clamp(token + dy, 0, stack.tokens.length - 1) } : undefined),
      view,
      prepare: async () => {
        // The FFN units of one token and the logit lens come from the engine; the rest is in the summary.
        const id = content.summary.id;
        const [units, lens] = await Promise.all([
          stack.ffnWidth ? content.source.call('ffnTopUnits', { id, stack: stack.stack, layer, token, count: FFN_UNITS_SHOWN }) : undefined,
          stack.hasLogitLens ? content.source.call('logitLens', { id, stack: stack.stack }) : undefined,
        ]);
        return () => view.update({ ...base, ffn: units && { layer, token, units }, lens, lensMissing });
      },
    };
  }

}

/** `GROUP:LAYER:HEAD` names a head of one of these groups. */
function headExists(groups: readonly AttentionGroupSummary[], name: string): boolean {
  const [group, layer, head] = name.split(':');
  const found = groups.find((entry) => entry.key === group);
  return !!found && Number(layer) < found.layers && Number(head) < found.heads;
}
