// What the panel remembers across reloads (vscode.setState): what to re-run, and where the user
// was — view, group, layer, head, threshold, toggles. Read back defensively: it is old data.

import type { PanelRerun } from '../src/protocol/panelProtocol';
import type { AttentionMode } from './attentionData';
import type { ColorBy } from './views/embeddingScatter';

export type ViewTab = 'attention' | 'architecture' | 'positions' | 'embeddings' | 'activations' | 'next';

export interface PanelUiState {
  readonly tab: ViewTab;
  readonly mode: AttentionMode;
  readonly group?: string;
  readonly layer: number;
  readonly head: number;
  /** Alignment view: -1 averages over layers / heads. */
  readonly alignLayer: number;
  readonly alignHead: number;
  readonly threshold: number;
  /** The head view's own floor: its lines for every weight would be a solid mass (BertViz opens thresholded too). */
  readonly headThreshold: number;
  readonly hideSpecial: boolean;
  readonly colorBy: ColorBy;
  readonly stack?: 'encoder' | 'decoder';
  /** Scatter position: -1 embedding lookup, 0… hidden states. */
  readonly position: number;
  /** Head view: heads drawn; empty means all. */
  readonly heads: readonly boolean[];
  /** Activations: the token whose FFN units are listed. */
  readonly token: number;
  /** Step by step: the query token whose row is computed. */
  readonly query: number;
  /** Heads switched off, as `GROUP:LAYER:HEAD` (the model view's interventions). */
  readonly off: readonly string[];
  /** Next token: the position whose prediction is shown; -1 the last. */
  readonly nextPosition: number;
  /** Next token: how the distribution is reshaped before sampling. */
  readonly temperature: number;
  readonly topK: number;
  readonly topP: number;
}

export interface SavedPanelState {
  readonly rerun?: PanelRerun;
  readonly ui: PanelUiState;
}

export const DEFAULT_UI: PanelUiState = {
  tab: 'attention',
  mode: 'model',
  layer: 0,
  head: 0,
  alignLayer: -1,
  alignHead: -1,
  threshold: 0,
  headThreshold: 0.1,
  hideSpecial: false,
  colorBy: 'type',
  position: -1,
  heads: [],
  token: 0,
  query: 0,
  off: [],
  nextPosition: -1,
  temperature: 1,
  topK: 0,
  topP: 1,
};

const TABS: readonly ViewTab[] = ['attention', 'architecture', 'positions', 'embeddings', 'activations', 'next'];
const MODES: readonly AttentionMode[] = ['model', 'heatmap', 'steps', 'heads', 'mean', 'rollout', 'alignment', 'dependence'];

const integer = (value: unknown, fallback: number) => (Number.isInteger(value) ? (value as number) : fallback);

/** A saved state from an older panel (or none) as a complete, valid one. */
export function readSavedState(value: unknown): SavedPanelState {
  const saved = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const ui = (typeof saved.ui === 'object' && saved.ui !== null ? saved.ui : {}) as Record<string, unknown>;
  const rerun = saved.rerun as PanelRerun | undefined;
  return {
    rerun: rerun && (rerun.kind === 'inspect' || rerun.kind === 'translate') && typeof rerun.text === 'string' ? rerun : undefined,
    ui: {
      tab: TABS.includes(ui.tab as ViewTab) ? (ui.tab as ViewTab) : DEFAULT_UI.tab,
      mode: MODES.includes(ui.mode as AttentionMode) ? (ui.mode as AttentionMode) : DEFAULT_UI.mode,
      group: typeof ui.group === 'string' ? ui.group : undefined,
      layer: Math.max(0, integer(ui.layer, 0)),
      head: Math.max(0, integer(ui.head, 0)),
      alignLayer: Math.max(-1, integer(ui.alignLayer, -1)),
      alignHead: Math.max(-1, integer(ui.alignHead, -1)),
      threshold: typeof ui.threshold === 'number' && ui.threshold >= 0 && ui.threshold <= 1 ? ui.threshold : 0,
      headThreshold: typeof ui.headThreshold === 'number' && ui.headThreshold >= 0 && ui.headThreshold <= 1 ? ui.headThreshold : DEFAULT_UI.headThreshold,
      hideSpecial: ui.hideSpecial === true,
      colorBy: ui.colorBy === 'position' ? 'position' : 'type',
      stack: ui.stack === 'encoder' || ui.stack === 'decoder' ? ui.stack : undefined,
      position: Math.max(-1, integer(ui.position, -1)),
      heads: Array.isArray(ui.heads) ? ui.heads.map((v) => v !== false) : [],
      token: Math.max(0, integer(ui.token, 0)),
      query: Math.max(0, integer(ui.query, 0)),
      off: Array.isArray(ui.off) ? ui.off.filter((entry): entry is string => typeof entry === 'string' && /^[\w.]+:\d+:\d+$/.test(entry)).slice(0, 512) : [],
      nextPosition: Math.max(-1, integer(ui.nextPosition, -1)),
      temperature: typeof ui.temperature === 'number' && ui.temperature >= 0.05 && ui.temperature <= 5 ? ui.temperature : 1,
      topK: Math.max(0, Math.min(1000, integer(ui.topK, 0))),
      topP: typeof ui.topP === 'number' && ui.topP > 0 && ui.topP <= 1 ? ui.topP : 1,
    },
  };
}
